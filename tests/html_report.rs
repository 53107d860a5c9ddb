//! The HTML report in a real browser (Debian's chromium, headless, as
//! tests/lab/install-deps.sh installs it): the page `hardbench evaluate
//! --html` writes from saved facts loads with no console message and no
//! network request, shows something (the screenshot is not blank), and the
//! counts it shows after its script ran are the JSON report's. A second test
//! proves that each of those detectors catches what it looks for.

mod common;

use common::{browser, hardbench, read_json, repo, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Waivers: one applied to a failure, one expired, one that covers nothing.
const WAIVERS: &str = r#"
[[waivers]]
checks = ["1.1.1"]
hosts = ["cp-bad"]
reason = "The manifest is watched by file integrity monitoring <FIM-7>"
approved_by = "Security team (CHG-1)"
expires = 2099-12-31

[[waivers]]
checks = ["1.1.2"]
reason = "Vendor fix pending"
approved_by = "Security team (CHG-2)"
expires = 2020-01-01

[[waivers]]
checks = ["1.1.1"]
hosts = ["worker-good"]
reason = "Never used: workers have no API server manifest"
approved_by = "Security team (CHG-3)"
expires = 2099-12-31
"#;

/// An attestation that makes a manual check pass.
const ATTESTATIONS: &str = r#"
[[attestations]]
checks = ["1.2.1"]
result = "pass"
attested_by = "Jane Auditor"
date = 2026-11-01
expires = 2099-12-31
evidence = "CHG-42: anonymous health checks are needed"
"#;

/// `hardbench evaluate` of the kubeadm fixtures (two control planes and two
/// workers, one of each failing) with waivers and attestations, `--json`
/// and `--html` into `out`.
fn evaluate(out: &Path) -> (PathBuf, Value) {
    let (json, html) = (out.join("report.json"), out.join("report.html"));
    let (waivers, attestations) = (out.join("waivers.toml"), out.join("attestations.toml"));
    std::fs::write(&waivers, WAIVERS).unwrap();
    std::fs::write(&attestations, ATTESTATIONS).unwrap();
    let facts = repo().join("tests/fixtures/kubeadm");
    let output = hardbench(&[
        "evaluate",
        "--facts", facts.to_str().unwrap(),
        "--benchmark", "cis-1.12",
        "--waivers", waivers.to_str().unwrap(),
        "--attestations", attestations.to_str().unwrap(),
        "--json", json.to_str().unwrap(),
        "--html", html.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "the bad hosts fail checks: {}", text(&output));
    (html, read_json(&json))
}

#[test]
fn the_report_loads_in_chromium_clean_and_shows_the_jsons_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let (page, json) = evaluate(tmp.path());
    let summary = &json["summary"];
    for count in ["fail", "pass", "waived", "manual_failing"] {
        assert!(summary[count].as_u64().unwrap() > 0, "the run has no {count}: {summary}");
    }
    let states: Vec<&str> = json["waivers"].as_array().unwrap().iter().map(|w| w["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["active", "expired", "unused"]);
    browser::check_report_page(&page, &json, &tmp.path().join("browser"));
}

/// The host filter (the page's script): opened at `#host=1`, the page
/// hides every row of other hosts and shows every row that stands for host
/// 1, alone or among others.
#[test]
fn the_host_filter_shows_one_host_from_the_address() {
    let tmp = tempfile::tempdir().unwrap();
    let (page, json) = evaluate(tmp.path());
    let load = browser::load_url(&format!("{}#host=1", browser::url(&page)), &tmp.path().join("browser"), (1280, 2000));
    assert!(load.console.is_empty(), "console messages: {:#?}", load.console);
    assert_eq!(json["hosts"][1]["name"], "cp-good");
    let row = regex::Regex::new(r#"<tr ([^>]*)data-host="([0-9 ]+)"([^>]*)>"#).unwrap();
    let (mut shown, mut hidden, mut shared) = (0, 0, 0);
    for caps in row.captures_iter(&load.dom) {
        let hosts: Vec<&str> = caps[2].split(' ').collect();
        let is_hidden = caps[1].contains("hidden") || caps[3].contains("hidden");
        assert_eq!(is_hidden, !hosts.contains(&"1"), "{}", &caps[0]);
        if is_hidden { hidden += 1 } else { shown += 1 }
        if !is_hidden && hosts.len() > 1 {
            shared += 1;
        }
    }
    assert!(shown > 10 && hidden > 10 && shared > 0, "shown {shown}, hidden {hidden}, shared {shared}");
}

/// `hardbench report` renders a saved JSON report into the very page the
/// run wrote; a file that is not a report, or the report itself as the
/// output, is bad input (exit 2), and nothing is written.
#[test]
fn report_renders_a_saved_json_report_into_the_page_the_run_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let (page, _) = evaluate(tmp.path());
    let json = tmp.path().join("report.json");
    let again = tmp.path().join("again.html");
    let output = hardbench(&["report", json.to_str().unwrap(), "--html", again.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&page).unwrap(), "the same page, byte for byte");
    let to_stdout = hardbench(&["report", json.to_str().unwrap(), "--html", "-"]);
    assert_eq!(to_stdout.stdout, std::fs::read(&page).unwrap(), "{}", text(&to_stdout));

    let refused = tmp.path().join("refused.html");
    let not_a_report = tmp.path().join("waivers.toml");
    let output = hardbench(&["report", not_a_report.to_str().unwrap(), "--html", refused.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a hardbench JSON report"), "{}", text(&output));
    let before = std::fs::read(&json).unwrap();
    let output = hardbench(&["report", json.to_str().unwrap(), "--html", json.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("REPORT.json and --html both name"), "{}", text(&output));
    assert_eq!(std::fs::read(&json).unwrap(), before, "the report is left as it was");
    assert!(!refused.exists());
}

/// The detectors above are not blind: a page with a script error, a
/// request to 127.0.0.1:1 and nothing to see trips each of them.
#[test]
fn the_browser_checks_catch_an_error_a_request_and_a_blank_page() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>broken</title></head><body>\
         <img alt=\"\" src=\"http://127.0.0.1:1/pixel.png\"><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let load = browser::load(&page, &tmp.path().join("browser"), (1280, 2000));
    assert!(
        load.console.iter().any(|line| line.contains("undefinedFunction is not defined")),
        "the script error was not seen: {:#?}",
        load.console
    );
    assert!(load.requests.contains("http://127.0.0.1:1/pixel.png"), "the request was not seen: {:?}", load.requests);
    let (colors, ink) = browser::ink(&load.screenshot);
    assert!(colors < 16 && ink < 0.05, "a blank page passed for a report: {colors} colors, {ink}");
}

/// `--html -` writes the page to standard output, and the console report
/// then goes to standard error.
#[test]
fn html_to_standard_output_moves_the_console_to_standard_error() {
    let facts = repo().join("tests/fixtures/kubeadm");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--benchmark", "cis-1.12", "--html", "-"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8(output.stdout.clone()).expect("UTF-8");
    assert!(stdout.starts_with("<!DOCTYPE html><html lang=\"en\">") && stdout.ends_with("</body></html>\n"), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cp-bad (") && stderr.contains("4 hosts (4 ok"), "the console report: {stderr}");
}
