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
    assert!(run.contains("cargo install --locked --path ."), "{run}");
    assert!(run.contains("cargo install --locked --git"), "{run}");
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
