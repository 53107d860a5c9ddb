//! A page loaded in a real browser: Debian's chromium, headless, in a fresh
//! profile, with what a test of the HTML report needs to know about the
//! load: the DOM after the scripts ran, every console message, every
//! network request the page made (from chromium's net log), and a
//! screenshot; and `check_report_page`, what every test of a report page
//! asserts. Chromium runs in its own process group, killed whole by its
//! id after a time limit, so a hang fails the test instead of hanging it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one page load may take, chromium's start included.
const LIMIT: Duration = Duration::from_secs(90);

/// What loading a page showed.
pub struct Load {
    /// The DOM after the load event (and so after the page's scripts).
    pub dom: String,
    /// Console messages, as chromium logs them (any level: the report logs none).
    pub console: Vec<String>,
    /// URLs the page itself asked the network for (not chromium's own
    /// background requests).
    pub requests: BTreeSet<String>,
    pub screenshot: PathBuf,
    /// chromium's stderr, for failure messages.
    pub log: String,
}

/// Loads `page` (a local file) in headless chromium, with `scratch` for
/// the profile, the net log and the screenshot.
pub fn load(page: &Path, scratch: &Path, window: (u32, u32)) -> Load {
    load_url(&url(page), scratch, window)
}

/// The `file://` URL of a local page.
pub fn url(page: &Path) -> String {
    format!("file://{}", std::fs::canonicalize(page).expect("the page exists").display())
}

/// Loads `url` as `load` does.
pub fn load_url(url: &str, scratch: &Path, window: (u32, u32)) -> Load {
    let profile = scratch.join("profile");
    std::fs::create_dir_all(&profile).expect("a profile directory");
    let net_log = scratch.join("net-log.json");
    let screenshot = scratch.join("screenshot.png");
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("--window-size={},{}", window.0, window.1))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().expect("chromium runs (tests/lab/install-deps.sh installs it)");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitpid") {
            break status;
        }
        if Instant::now() > deadline {
            // The whole group: chromium's renderer and GPU processes too.
            let group = i32::try_from(child.id()).expect("a pid");
            // SAFETY: kill(2) on the process group this test started.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish loading {url} within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let dom = out.join().unwrap().expect("chromium's stdout");
    let log = err.join().unwrap().expect("chromium's stderr");
    // Its helper processes leave with it; any left over are this test's.
    // SAFETY: kill(2) on the process group this test started.
    unsafe { libc::kill(-i32::try_from(child.id()).unwrap(), libc::SIGKILL) };
    assert!(status.success(), "chromium exited with {status}:\n{log}");
    let console = log.lines().filter(|line| line.contains(":CONSOLE")).map(str::to_owned).collect();
    let requests = page_requests(&net_log);
    Load { dom, console, requests, screenshot, log }
}

/// The network URLs (http, https, ws, wss) the page asked for, from
/// chromium's net log. chromium makes requests of its own (update checks,
/// network time) even with background networking off: those carry no
/// initiator ("not an origin") and are not the page's.
fn page_requests(net_log: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(net_log).expect("chromium wrote its net log");
    let log: serde_json::Value = serde_json::from_str(&text).expect("the net log is JSON");
    let mut urls = BTreeSet::new();
    for event in log["events"].as_array().expect("the net log has events") {
        let params = &event["params"];
        let Some(url) = params["url"].as_str() else { continue };
        let network = ["http://", "https://", "ws://", "wss://"].iter().any(|scheme| url.starts_with(scheme));
        // Only a request's start names its initiator.
        let Some(initiator) = params["initiator"].as_str() else { continue };
        let browser_own = initiator == "not an origin"
            && !params["network_isolation_key"].as_str().unwrap_or_default().contains("file://");
        if network && !browser_own {
            urls.insert(url.to_owned());
        }
    }
    urls
}

/// How much a screenshot shows: the number of distinct colors and the
/// share of pixels that are not white.
pub fn ink(screenshot: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(screenshot).expect("a screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    let channels = frame.color_type.samples();
    assert_eq!(frame.bit_depth, png::BitDepth::Eight, "8-bit samples");
    let pixels = &pixels[..frame.buffer_size()];
    let mut colors = BTreeSet::new();
    let mut inked = 0usize;
    let total = pixels.len() / channels;
    for pixel in pixels.chunks_exact(channels) {
        let rgb = [pixel[0], pixel[1 % channels], pixel[2 % channels]];
        colors.insert(rgb);
        if rgb != [255, 255, 255] {
            inked += 1;
        }
    }
    (colors.len(), inked as f64 / total as f64)
}

/// The counts in `row` by status, as the JSON names them (`not_applicable`).
fn counts(row: &str) -> BTreeMap<String, u64> {
    let pattern = regex::Regex::new(r#"data-count-status="([a-z-]+)">(\d+)<"#).unwrap();
    pattern.captures_iter(row).map(|c| (c[1].replace('-', "_"), c[2].parse().unwrap())).collect()
}

/// The count of manual checks whose automated evaluation would fail.
fn manual_failing(row: &str) -> Option<u64> {
    let pattern = regex::Regex::new(r#"data-count-manual-failing="">(\d+)<"#).unwrap();
    pattern.captures(row).map(|c| c[1].parse().unwrap())
}

/// The JSON summary's counts of those statuses.
fn json_counts(summary: &Value, statuses: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    statuses.keys().map(|status| (status.clone(), summary[status].as_u64().unwrap_or_else(|| panic!("{status}")))).collect()
}

fn element<'a>(dom: &'a str, start: &str) -> &'a str {
    let from = dom.find(start).unwrap_or_else(|| panic!("{start} is not in the page"));
    let len = dom[from..].find("</table>").expect("the table ends");
    &dom[from..from + len]
}

/// Asserts that a loaded report page is clean and that it shows `json`'s counts.
pub fn check_report_page(page: &Path, json: &Value, scratch: &Path) {
    let load = load(page, scratch, (1280, 2000));
    assert!(load.console.is_empty(), "console messages: {:#?}\n{}", load.console, load.log);
    assert!(load.requests.is_empty(), "the page made requests: {:?}", load.requests);
    let (colors, ink) = ink(&load.screenshot);
    assert!(colors >= 16 && ink >= 0.05, "a blank-looking screenshot: {colors} colors, {:.1} % ink", ink * 100.0);

    // The script ran (the policy allowed it): it showed the host filter.
    assert!(load.dom.contains("<label>Host: <select id=\"filter-host\">"), "the host filter is still hidden");
    let totals_row = element(&load.dom, "<table id=\"totals\"");
    let totals = counts(totals_row);
    assert!(totals.len() >= 8, "{totals:?}");
    assert_eq!(totals, json_counts(&json["summary"], &totals), "the totals shown are the JSON's");
    assert_eq!(manual_failing(totals_row), json["summary"]["manual_failing"].as_u64(), "{totals_row}");
    let rule_state = regex::Regex::new(r#"data-rule-state="([a-z]+)""#).unwrap();
    for kind in ["waivers", "attestations"] {
        let mut json_states: Vec<&str> = json[kind].as_array().unwrap().iter().map(|w| w["state"].as_str().unwrap()).collect();
        let section = dom_section(&load.dom, kind);
        let mut shown: Vec<&str> = rule_state.captures_iter(section).map(|c| c.get(1).unwrap().as_str()).collect();
        json_states.sort_unstable();
        shown.sort_unstable();
        assert_eq!(shown, json_states, "the {kind}' states shown are the JSON's");
    }
    let per_host = element(&load.dom, "<table id=\"per-host\"");
    let hosts = json["hosts"].as_array().unwrap();
    for (i, host) in hosts.iter().enumerate() {
        let start = format!("<tr data-host=\"{i}\">");
        let from = per_host.find(&start).unwrap_or_else(|| panic!("no row for host {i}"));
        let row = &per_host[from..from + per_host[from..].find("</tr>").unwrap()];
        let shown = counts(row);
        assert!(row.contains(&format!("<th>{}</th>", host["name"].as_str().unwrap())), "{row}");
        assert_eq!(shown, json_counts(&host["summary"], &shown), "host {i}: {row}");
        if !shown.is_empty() {
            assert_eq!(manual_failing(row), host["summary"]["manual_failing"].as_u64(), "host {i}: {row}");
        }
        if host["status"] == "error" {
            let unreachable = &dom_section(&load.dom, "unreachable");
            let kind = host["error"]["kind"].as_str().unwrap();
            assert!(unreachable.contains(&format!("<td>{kind}</td>")), "host {i} is not among the unreachable: {unreachable}");
        } else {
            assert!(!shown.is_empty(), "host {i} shows no counts: {row}");
        }
    }
}

/// The section with this id.
fn dom_section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = format!("<section id=\"{id}\">");
    let from = dom.find(&start).unwrap_or_else(|| panic!("no section {id}"));
    &dom[from..from + dom[from..].find("</section>").expect("the section ends")]
}
