//! `hardbench verify DIR [--allowed-signers FILE]`: checks an evidence
//! bundle, and names every file that does not match:
//! - every file the manifest lists is there with its sha256, and no other
//!   file is (a link, a FIFO is a finding too);
//! - with `--allowed-signers`, the manifest's SSHSIG signature and the
//!   in-toto attestation's DSSE signature are by an allowed key, in the
//!   `hardbench-evidence` namespace, and the attestation's subjects are the
//!   manifest's files; a signed bundle checked without it is not verified
//!   (exit 3), an unsigned one checked with it fails;
//! - the inventory is the one the report names (by its sha256);
//! - the reports are what evaluating the bundle's facts with its benchmark
//!   definitions (loaded from the bundle, their `extends` too), its waivers
//!   and attestations (on the report's review date) and the report's
//!   selection gives: every host's benchmark, error, and every check's
//!   status, verdict, actual and expected value, and review effect; the
//!   JUnit report is what the JSON one gives (durations aside), and the
//!   HTML page is what it renders to.

use super::manifest::Manifest;
use super::{
    BundleError, ATTESTATION, ATTESTATIONS, BENCHMARKS_DIR, FACTS_DIR, MANIFEST, REPORT_HTML, REPORT_JSON, REPORT_JUNIT, SIGNATURE,
    WAIVERS,
};
use crate::audit::{self, Candidates};
use crate::benchmark::{self, Benchmark, Level};
use crate::evidence::SavedSet;
use crate::outcome::{ExitCode, HostReport, InputFile, Report};
use crate::review::file::{self as review_file, Known};
use crate::review::Reviews;
use crate::select::Selection;
use crate::signing::{self, AllowedSigners, VerifiedSigner};
use std::path::Path;

/// What is wrong with one file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the bundle.
    pub file: String,
    pub why: String,
}

/// The outcome of `verify`.
#[derive(Debug, Default)]
pub struct Verification {
    pub findings: Vec<Finding>,
    /// Who signed, when the signature was checked and is good.
    pub signer: Option<VerifiedSigner>,
    /// The bundle is signed and no allowed signers were given.
    pub signature_unchecked: bool,
    /// How many files the manifest lists; how many hosts were evaluated again.
    pub files: usize,
    pub hosts: usize,
}

impl Verification {
    /// 0 verified; 1 something does not match; 3 it matches but the
    /// signature was not checked. (2, bad input, is an error before this.)
    pub fn exit_code(&self) -> ExitCode {
        if !self.findings.is_empty() {
            ExitCode::NonCompliant
        } else if self.signature_unchecked {
            ExitCode::Incomplete
        } else {
            ExitCode::Compliant
        }
    }

    fn found(&mut self, file: &str, why: impl Into<String>) {
        self.findings.push(Finding { file: file.to_string(), why: why.into() });
    }
}

/// Checks the bundle in `dir`. An error is bad input: `dir` is not a
/// bundle (no manifest), or the allowed signers file is unusable.
pub fn verify(dir: &Path, allowed_signers: Option<&Path>) -> Result<Verification, BundleError> {
    let allowed = allowed_signers.map(AllowedSigners::read).transpose()?;
    let not_a_bundle = |why: String| BundleError::NotABundle { dir: dir.to_path_buf(), why };
    if !dir.is_dir() {
        return Err(not_a_bundle("it is not a directory".into()));
    }
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.exists() {
        return Err(not_a_bundle(format!("it has no {MANIFEST}")));
    }
    let mut verification = Verification::default();
    let manifest_bytes = crate::evidence::read_regular(&manifest_path)?;
    let listed = std::str::from_utf8(&manifest_bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| Manifest::parse(text).map_err(|e| e.to_string()));
    match listed {
        Ok(listed) => check_files(dir, &listed, &mut verification),
        Err(why) => verification.found(MANIFEST, why),
    }
    check_signatures(dir, &manifest_bytes, allowed.as_ref(), &mut verification);
    reevaluate(dir, &mut verification);
    Ok(verification)
}

/// Every listed file with its digest, and nothing else.
fn check_files(dir: &Path, listed: &Manifest, verification: &mut Verification) {
    verification.files = listed.0.len();
    let present = match Manifest::of_dir(dir) {
        Ok(present) => present,
        Err(error) => {
            verification.found(".", error.to_string());
            return;
        }
    };
    for (path, sha256) in &listed.0 {
        match present.0.get(path) {
            None => verification.found(path, format!("missing: {MANIFEST} lists it")),
            Some(actual) if actual != sha256 => {
                verification.found(path, format!("changed: sha256 {actual}, {MANIFEST} lists {sha256}"))
            }
            Some(_) => {}
        }
    }
    for path in present.0.keys().filter(|path| !listed.0.contains_key(*path)) {
        verification.found(path, format!("added: {MANIFEST} does not list it"));
    }
}

fn check_signatures(dir: &Path, manifest: &[u8], allowed: Option<&AllowedSigners>, verification: &mut Verification) {
    let signature_path = dir.join(SIGNATURE);
    let signed = signature_path.exists();
    let Some(allowed) = allowed else {
        verification.signature_unchecked = signed || dir.join(ATTESTATION).exists();
        return;
    };
    if !signed {
        verification.found(SIGNATURE, "missing: --allowed-signers was given, and the bundle is not signed");
        return;
    }
    let now = chrono::Utc::now();
    let signature = crate::evidence::read_regular(&signature_path).map(|b| String::from_utf8_lossy(&b).into_owned());
    match signature.map_err(|e| e.to_string()).and_then(|s| {
        signing::verify_sshsig(allowed, signing::NAMESPACE, manifest, &s, now).map_err(|e| e.to_string())
    }) {
        Ok(signer) => verification.signer = Some(signer),
        Err(why) => verification.found(SIGNATURE, format!("the signature of {MANIFEST} does not verify: {why}")),
    }
    let envelope = match crate::evidence::read_regular(&dir.join(ATTESTATION)) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => return verification.found(ATTESTATION, format!("cannot be read: {error}")),
    };
    let verified = match signing::verify_dsse(&envelope, allowed, now) {
        Ok(verified) => verified,
        Err(why) => return verification.found(ATTESTATION, format!("the DSSE envelope does not verify: {why}")),
    };
    // The statement's subjects must be files of the bundle, as they are now.
    let subjects = serde_json::from_slice::<serde_json::Value>(&verified.payload).ok().and_then(|statement| {
        let subjects = statement.get("subject")?.as_array()?.iter().map(|s| {
            Some((s.get("name")?.as_str()?.to_string(), s.get("digest")?.get("sha256")?.as_str()?.to_string()))
        });
        subjects.collect::<Option<Vec<_>>>()
    });
    let Some(subjects) = subjects else {
        return verification.found(ATTESTATION, "its payload is not an in-toto Statement with sha256 subjects");
    };
    let present = Manifest::of_dir(dir).unwrap_or_default();
    for (name, sha256) in subjects {
        if present.0.get(&name) != Some(&sha256) {
            verification.found(ATTESTATION, format!("its subject {name} (sha256 {sha256}) is not that file of the bundle"));
        }
    }
}

/// Evaluates the bundle's facts again and compares with its reports.
fn reevaluate(dir: &Path, verification: &mut Verification) {
    let bundled = match crate::report::json::read::read(&dir.join(REPORT_JSON)) {
        Ok(report) => report,
        Err(error) => return verification.found(REPORT_JSON, format!("cannot be read: {error}")),
    };
    match std::fs::read(dir.join(REPORT_JUNIT)) {
        Ok(junit) => {
            let mut again = Vec::new();
            crate::report::junit::write(&bundled, &mut again).expect("writing to memory cannot fail");
            // Durations: the JSON report holds milliseconds, the JUnit one
            // seconds rounded from the clock's nanoseconds; they may differ
            // in the last digit, and a duration is no judgement.
            let untimed = |bytes: &[u8]| {
                static TIME: std::sync::LazyLock<regex::Regex> =
                    std::sync::LazyLock::new(|| regex::Regex::new(r#" time="[0-9.]*""#).expect("a valid regex"));
                TIME.replace_all(&String::from_utf8_lossy(bytes), "").into_owned()
            };
            let (was, is) = (untimed(&junit), untimed(&again));
            if was != is {
                let line = was.lines().zip(is.lines()).position(|(a, b)| a != b).map_or(0, |n| n + 1);
                let said = |text: &str| text.lines().nth(line.saturating_sub(1)).unwrap_or_default().trim().to_string();
                verification.found(
                    REPORT_JUNIT,
                    format!("it is not the JUnit form of {REPORT_JSON}: line {line} is {:?}, not {:?}", said(&was), said(&is)),
                );
            }
        }
        Err(error) => verification.found(REPORT_JUNIT, format!("cannot be read: {error}")),
    }
    match std::fs::read(dir.join(REPORT_HTML)) {
        Ok(html) => {
            let mut again = Vec::new();
            crate::report::html::write(&bundled, &mut again).expect("writing to memory cannot fail");
            if again != html {
                verification.found(REPORT_HTML, format!("it is not the page {REPORT_JSON} renders to"));
            }
        }
        Err(error) => verification.found(REPORT_HTML, format!("cannot be read: {error}")),
    }
    check_inventory(dir, &bundled, verification);
    let again = match evaluate(dir, &bundled, verification) {
        Ok(again) => again,
        Err((file, why)) => return verification.found(&file, why),
    };
    verification.hosts = again.len();
    compare(&bundled.hosts, &again, verification);
}

/// The inventory in the bundle is the one the report was made with (`run`).
fn check_inventory(dir: &Path, bundled: &Report, verification: &mut Verification) {
    // `evaluate` names the inventory its saved facts were gathered from,
    // which it never read: only a `run` bundle holds one.
    if bundled.invocation.command != "run" {
        return;
    }
    let Some(recorded) = &bundled.invocation.inventory else { return };
    let found: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default();
    let Some(name) = found.into_iter().find(|n| n == "inventory" || n.starts_with("inventory.")) else {
        return verification.found("inventory", format!("missing: {REPORT_JSON} was made with {}", recorded.path));
    };
    match std::fs::read(dir.join(&name)) {
        Ok(bytes) if InputFile::of(Path::new(&name), &bytes).sha256 == recorded.sha256 => {}
        Ok(_) => verification.found(&name, format!("it is not the inventory {REPORT_JSON} was made with (sha256 {})", recorded.sha256)),
        Err(error) => verification.found(&name, format!("cannot be read: {error}")),
    }
}

/// The hosts of the bundle's facts, judged as its report says they were.
fn evaluate(dir: &Path, bundled: &Report, verification: &mut Verification) -> Result<Vec<HostReport>, (String, String)> {
    let invocation = &bundled.invocation;
    let set = SavedSet::open(&dir.join(FACTS_DIR)).map_err(|e| (format!("{FACTS_DIR}/"), e.to_string()))?;
    let root = dir.join(BENCHMARKS_DIR);
    let mut ids: Vec<String> = std::fs::read_dir(&root)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default();
    ids.sort();
    let mut benchmarks = Vec::new();
    for id in &ids {
        let loaded = benchmark::load_from(&root, id).map_err(|e| (format!("{BENCHMARKS_DIR}/{id}/"), e.to_string()))?;
        benchmarks.push(loaded);
    }
    for host in &bundled.hosts {
        let Some(info) = &host.benchmark else { continue };
        match benchmarks.iter().find(|b| b.id == info.id) {
            None => return Err((format!("{BENCHMARKS_DIR}/{}/", info.id), format!("missing: host {} was judged by it", host.name))),
            Some(b) if b.sha256 != info.sha256 => verification.found(
                &format!("{BENCHMARKS_DIR}/{}/", info.id),
                format!("its definitions have sha256 {}, and {REPORT_JSON} says {} judged host {}", b.sha256, info.sha256, host.name),
            ),
            Some(_) => {}
        }
    }
    let auto = invocation.benchmark == "auto";
    if !auto {
        let judged: Vec<&str> = bundled.hosts.iter().filter_map(|h| h.benchmark.as_ref()).map(|b| b.id.as_str()).collect();
        benchmarks.retain(|b| judged.contains(&b.id.as_str()));
    }
    if benchmarks.is_empty() {
        // No host was judged (every one failed under `auto`): its error is
        // all there is to compare, and a host with facts needs a benchmark.
        let none = Candidates { benchmarks: Vec::new(), selections: Vec::new(), auto: true };
        let mut hosts = Vec::new();
        for record in set.records().iter().filter(|r| invocation.shard.is_none_or(|s| s.holds(&r.host))) {
            let (identity, gathering) = set.load(record).map_err(|e| (format!("{FACTS_DIR}/"), e.to_string()))?;
            if gathering.result.is_ok() {
                return Err((format!("{BENCHMARKS_DIR}/"), format!("missing: host {} has facts, and no benchmark is in the bundle", identity.name)));
            }
            hosts.push(audit::audit(&identity, &gathering, &none));
        }
        return Ok(hosts);
    }
    let level = invocation.level.and_then(Level::from_number);
    let selection = Selection::for_candidates(&benchmarks, &invocation.check, &invocation.skip, level)
        .map_err(|e| (REPORT_JSON.to_string(), format!("its selection does not apply to the bundle's benchmarks: {e}")))?;
    let names: Vec<String> = set.records().iter().map(|r| r.host.clone()).collect();
    let reviews = reviews(dir, bundled, &benchmarks, &names, verification)?;
    let candidates = Candidates { selections: vec![selection; benchmarks.len()], benchmarks, auto };
    let mut hosts = Vec::with_capacity(names.len());
    // `evaluate --shard` judged its share of the set only.
    let shard = invocation.shard;
    for record in set.records().iter().filter(|r| shard.is_none_or(|s| s.holds(&r.host))) {
        let (identity, gathering) = set.load(record).map_err(|e| (format!("{FACTS_DIR}/"), e.to_string()))?;
        let mut host = audit::audit(&identity, &gathering, &candidates);
        if let Ok(results) = &mut host.result {
            reviews.apply(&host.name, &host.roles, results);
        }
        hosts.push(host);
    }
    Ok(hosts)
}

/// The bundle's waivers and attestations, as of the report's review date;
/// each file must be the one the report names (by its sha256).
fn reviews(
    dir: &Path,
    bundled: &Report,
    benchmarks: &[Benchmark],
    names: &[String],
    verification: &mut Verification,
) -> Result<Reviews, (String, String)> {
    let known = Known { benchmarks, hosts: Some(names), today: bundled.review_date };
    let mut reviews = Reviews { waivers: Vec::new(), attestations: Vec::new(), today: bundled.review_date };
    for (name, recorded) in [(WAIVERS, &bundled.invocation.waivers), (ATTESTATIONS, &bundled.invocation.attestations)] {
        let path = dir.join(name);
        match (path.exists(), recorded) {
            (false, None) => continue,
            (true, None) => {
                verification.found(name, format!("{REPORT_JSON} was made without one"));
                continue;
            }
            (false, Some(_)) => return Err((name.to_string(), format!("missing: {REPORT_JSON} was made with one"))),
            (true, Some(recorded)) => {
                let bytes = std::fs::read(&path).map_err(|e| (name.to_string(), e.to_string()))?;
                let sha256 = InputFile::of(&path, &bytes).sha256;
                if sha256 != recorded.sha256 {
                    verification.found(name, format!("sha256 {sha256}, and {REPORT_JSON} was made with {}", recorded.sha256));
                }
            }
        }
        let loaded = |e: review_file::ReviewErrors| (name.to_string(), e.to_string());
        if name == WAIVERS {
            reviews.waivers = review_file::load_waivers(&path, &known).map_err(loaded)?.rules;
        } else {
            reviews.attestations = review_file::load_attestations(&path, &known).map_err(loaded)?.rules;
        }
    }
    Ok(reviews)
}

/// Every host's benchmark and error, every check's judgement.
fn compare(bundled: &[HostReport], again: &[HostReport], verification: &mut Verification) {
    let names = |hosts: &[HostReport]| hosts.iter().map(|h| h.name.clone()).collect::<Vec<_>>();
    if names(bundled) != names(again) {
        return verification.found(
            REPORT_JSON,
            format!("its hosts are {:?}, and the facts are of {:?}", names(bundled), names(again)),
        );
    }
    for (was, is) in bundled.iter().zip(again) {
        let mut differs = |what: String, old: String, new: String| {
            verification.found(REPORT_JSON, format!("host {}: {what}: {old} in the report, {new} from the facts", was.name))
        };
        let benchmark = |h: &HostReport| h.benchmark.as_ref().map_or("none".to_string(), |b| b.id.clone());
        if benchmark(was) != benchmark(is) {
            differs("benchmark".into(), benchmark(was), benchmark(is));
            continue;
        }
        let (was_results, is_results) = match (&was.result, &is.result) {
            (Ok(was_results), Ok(is_results)) => (was_results, is_results),
            (Err(old), Err(new)) => {
                if (old.kind, &old.message) != (new.kind, &new.message) {
                    differs("error".into(), old.to_string(), new.to_string());
                }
                continue;
            }
            (old, new) => {
                let said = |r: &Result<_, crate::transport::HostError>| match r {
                    Ok(_) => "audited".to_string(),
                    Err(error) => format!("error ({error})"),
                };
                differs("result".into(), said(old), said(new));
                continue;
            }
        };
        let ids = |results: &[crate::outcome::CheckResult]| results.iter().map(|r| r.id.to_string()).collect::<Vec<_>>();
        if ids(was_results) != ids(is_results) {
            differs("checks".into(), ids(was_results).join(","), ids(is_results).join(","));
            continue;
        }
        for (old, new) in was_results.iter().zip(is_results) {
            let effect = |c: Option<crate::outcome::Covered>| c.map_or("none".to_string(), |c| format!("#{} {}", c.index, c.effect.name()));
            let fields = [
                ("status", old.outcome.status.name().to_string(), new.outcome.status.name().to_string()),
                ("verdict", old.verdict.name().to_string(), new.verdict.name().to_string()),
                ("actual", format!("{:?}", old.outcome.actual), format!("{:?}", new.outcome.actual)),
                ("expected", format!("{:?}", old.outcome.expected), format!("{:?}", new.outcome.expected)),
                ("waiver", effect(old.waiver), effect(new.waiver)),
                ("attestation", effect(old.attestation), effect(new.attestation)),
            ];
            for (what, old_value, new_value) in fields {
                if old_value != new_value {
                    differs(format!("check {} {what}", old.id), old_value, new_value);
                }
            }
        }
    }
}
