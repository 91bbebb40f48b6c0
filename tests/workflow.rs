//! The GitHub Pages workflow (`docs/github-pages-workflow.yml`, written by `init`): parsed
//! as YAML and checked for the triggers, steps, permissions and concurrency GitHub documents.

use yaml_rust2::{Yaml, YamlLoader};

const WORKFLOW: &str = include_str!("../docs/github-pages-workflow.yml");

fn workflow() -> Yaml {
    YamlLoader::load_from_str(WORKFLOW).expect("valid YAML").remove(0)
}

fn uses(job: &Yaml) -> Vec<String> {
    job["steps"].as_vec().expect("steps").iter().filter_map(|s| s["uses"].as_str()).map(String::from).collect()
}

fn runs(job: &Yaml) -> String {
    job["steps"].as_vec().expect("steps").iter().filter_map(|s| s["run"].as_str()).collect::<Vec<_>>().join("\n")
}

fn action<'a>(uses: &'a [String], name: &str) -> &'a str {
    uses.iter().find(|u| u.starts_with(&format!("{name}@"))).unwrap_or_else(|| panic!("no {name} in {uses:?}"))
}

#[test]
fn runs_nightly_and_on_demand() {
    let w = workflow();
    let cron = w["on"]["schedule"][0]["cron"].as_str().expect("a cron schedule");
    let fields: Vec<&str> = cron.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{cron}");
    assert_eq!(&fields[2..], ["*", "*", "*"], "once a day: {cron}");
    assert!(!w["on"]["workflow_dispatch"].is_badvalue(), "workflow_dispatch");
}

#[test]
fn build_job_checks_out_caches_installs_builds_and_uploads() {
    let w = workflow();
    let build = &w["jobs"]["build"];
    let uses = uses(build);
    let order: Vec<&str> = ["actions/checkout", "actions/cache", "actions/upload-pages-artifact"]
        .iter()
        .map(|name| action(&uses, name))
        .collect();
    let positions: Vec<usize> = order.iter().map(|u| uses.iter().position(|x| x == u).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{uses:?}");
    let run = runs(build);
    assert!(run.contains("cargo install --locked --force --path ."), "{run}");
    assert!(run.contains("cargo install --locked --force --git"), "{run}");
    assert!(run.contains("telemetry-site build data site --summary-json"), "{run}");
    let upload = build["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-pages-artifact@")));
    assert_eq!(upload.unwrap()["with"]["path"].as_str(), Some("site"));
    let cache = build["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/cache@")));
    assert!(cache.unwrap()["with"]["path"].as_str().unwrap().contains(".cargo/bin/telemetry-site"));
}

#[test]
fn deploy_job_has_the_documented_permissions_and_environment() {
    let w = workflow();
    assert_eq!(w["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(w["concurrency"]["group"].as_str(), Some("pages"));
    assert_eq!(w["concurrency"]["cancel-in-progress"].as_bool(), Some(false));
    let deploy = &w["jobs"]["deploy"];
    assert_eq!(deploy["needs"].as_str(), Some("build"));
    assert_eq!(deploy["permissions"]["pages"].as_str(), Some("write"));
    assert_eq!(deploy["permissions"]["id-token"].as_str(), Some("write"));
    assert_eq!(deploy["permissions"]["contents"].as_str(), Some("read"));
    assert_eq!(deploy["environment"]["name"].as_str(), Some("github-pages"));
    assert_eq!(deploy["environment"]["url"].as_str(), Some("${{ steps.deployment.outputs.page_url }}"));
    let step = &deploy["steps"][0];
    assert_eq!(step["id"].as_str(), Some("deployment"));
    assert!(step["uses"].as_str().unwrap().starts_with("actions/deploy-pages@"));
}

#[test]
fn every_action_is_pinned_to_a_version() {
    let w = workflow();
    for job in w["jobs"].as_hash().unwrap().values() {
        for u in uses(job) {
            let (_, version) = u.split_once('@').unwrap_or_else(|| panic!("{u} has no version"));
            assert!(version.starts_with('v') || version.len() == 40, "{u}");
        }
    }
}

/// The build job's step named `name`.
fn step<'a>(w: &'a Yaml, name: &str) -> &'a Yaml {
    let steps = w["jobs"]["build"]["steps"].as_vec().expect("steps");
    steps.iter().find(|s| s["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("no step {name:?}"))
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A git repository in `dir` with one commit; returns the commit.
fn repository(dir: &std::path::Path, files: &[(&str, &str)]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q"]);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "one"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Runs the "Find the telemetry-site commit to install" step as Actions would (bash -e, in
/// the checkout, with the workflow's env): its exit status, stderr+stdout, and what it wrote
/// to `$GITHUB_OUTPUT`.
fn find_commit(checkout: &std::path::Path, git_url: &str, branch: &str) -> (bool, String, String) {
    let w = workflow();
    let script = step(&w, "Find the telemetry-site commit to install")["run"].as_str().expect("a run script");
    let output = checkout.join("github-output");
    std::fs::write(&output, "").unwrap();
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script])
        .current_dir(checkout)
        .env("TELEMETRY_SITE_GIT", git_url)
        .env("TELEMETRY_SITE_BRANCH", branch)
        .env("GITHUB_OUTPUT", &output)
        .output()
        .expect("bash runs");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said, std::fs::read_to_string(&output).unwrap())
}

#[test]
fn the_installed_binary_is_cached_under_the_commit_it_is_built_from() {
    let w = workflow();
    let key = step(&w, "Restore the telemetry-site build cache")["with"]["key"].as_str().unwrap();
    assert!(key.contains("${{ steps.version.outputs.commit }}"), "{key}");
    assert!(!key.contains("hashFiles"), "a key from a file the project does not have never changes: {key}");
    let install = step(&w, "Install telemetry-site")["run"].as_str().unwrap();
    assert!(install.contains("--rev \"${{ steps.version.outputs.commit }}\""), "{install}");
    assert!(install.contains("--force"), "a binary restored from an older key is replaced: {install}");

    let tmp = tempfile::tempdir().unwrap();
    let upstream = tmp.path().join("telemetry-site");
    let first = repository(&upstream, &[("README.md", "one")]);
    let project = tmp.path().join("project");
    repository(&project, &[("data.txt", "reports")]);
    let url = upstream.to_str().unwrap();
    let (ok, said, output) = find_commit(&project, url, "main");
    assert!(ok, "{said}");
    assert_eq!(output, format!("commit={first}\n"));

    std::fs::write(upstream.join("README.md"), "two").unwrap();
    git(&upstream, &["commit", "-q", "-am", "two"]);
    let second = git(&upstream, &["rev-parse", "HEAD"]);
    assert_ne!(first, second);
    let (ok, said, output) = find_commit(&project, url, "main");
    assert!(ok, "{said}");
    assert_eq!(output, format!("commit={second}\n"), "a new commit on the branch is a new key");

    let (ok, said, output) = find_commit(&project, url, "no-such-branch");
    assert!(!ok, "a branch that is not there stops the run: {output}");
    assert!(said.contains("::error::no branch no-such-branch at"), "{said}");
    assert_eq!(output, "");
}

#[test]
fn a_repository_that_cannot_be_reached_gets_the_hint_too() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    repository(&project, &[("data.txt", "reports")]);
    // As the OWNER placeholder left in: `git ls-remote` fails (exit 128), which under
    // `bash -eo pipefail` ended the step before its hint.
    let nowhere = tmp.path().join("no-such-repository");
    let (ok, said, output) = find_commit(&project, nowhere.to_str().unwrap(), "main");
    assert!(!ok, "{said}");
    assert!(said.contains("::error::no branch main at"), "{said}");
    assert!(said.contains("cannot be reached"), "{said}");
    assert_eq!(output, "");
}

#[test]
fn the_build_job_uses_no_action_needing_pages_permission() {
    // `actions/configure-pages` reads the Pages settings through the API, which in a
    // private repository needs `pages: read`: the build job has only `contents: read`.
    let w = workflow();
    let build = &w["jobs"]["build"];
    assert!(build["permissions"].is_badvalue(), "the workflow's `contents: read` only");
    let uses = uses(build);
    assert!(!uses.iter().any(|u| u.starts_with("actions/configure-pages@")), "{uses:?}");
    assert!(!WORKFLOW.contains("steps.configure"), "nothing reads its outputs");
}

#[test]
fn in_telemetry_sites_own_repository_the_checked_out_commit_is_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let own = tmp.path().join("own");
    let head = repository(&own, &[("Cargo.toml", "[package]\nname = \"telemetry-site\"\n")]);
    let (ok, said, output) = find_commit(&own, "https://invalid.example/never-asked", "main");
    assert!(ok, "{said}");
    assert_eq!(output, format!("commit={head}\n"));
}

#[test]
fn reports_are_checked_from_the_builds_summary_after_the_build() {
    let w = workflow();
    let steps = w["jobs"]["build"]["steps"].as_vec().unwrap();
    let at = |name: &str| steps.iter().position(|s| s["name"].as_str() == Some(name)).unwrap();
    assert!(at("Build the site") < at("Check reports"), "the check judges what the build wrote");
    let check = step(&w, "Check reports");
    assert_eq!(
        check["run"].as_str(),
        Some("telemetry-site check data --max-age 3 --from-summary build-summary.json"),
        "the reports are not read a second time"
    );
    assert_eq!(check["continue-on-error"].as_bool(), Some(true), "a bad report never stops the deploy");
    let build = step(&w, "Build the site")["run"].as_str().unwrap();
    assert!(build.contains("--summary-json build-summary.json"), "{build}");
}

#[test]
fn the_build_summary_is_kept_when_the_build_fails_too() {
    let w = workflow();
    let keep = step(&w, "Keep the build summary");
    assert!(keep["uses"].as_str().unwrap().starts_with("actions/upload-artifact@"));
    assert_eq!(keep["if"].as_str(), Some("${{ !cancelled() }}"), "a failed build's summary says why");
    assert_eq!(keep["with"]["path"].as_str(), Some("build-summary.json"));
    assert_eq!(keep["with"]["if-no-files-found"].as_str(), Some("ignore"), "a build that stopped before writing one");
}
