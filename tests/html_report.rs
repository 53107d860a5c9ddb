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

/// `hardbench evaluate` of the kubeadm fixtures (two control planes and two
/// workers, one of each failing) with `--json` and `--html` into `out`.
fn evaluate(out: &Path) -> (PathBuf, Value) {
    let (json, html) = (out.join("report.json"), out.join("report.html"));
    let facts = repo().join("tests/fixtures/kubeadm");
    let output = hardbench(&[
        "evaluate",
        "--facts", facts.to_str().unwrap(),
        "--benchmark", "cis-1.12",
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
    assert!(json["summary"]["fail"].as_u64().unwrap() > 0 && json["summary"]["pass"].as_u64().unwrap() > 0);
    browser::check_report_page(&page, &json, &tmp.path().join("browser"));
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
