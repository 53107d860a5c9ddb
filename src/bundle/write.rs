//! Writing a bundle. Everything that can be refused is, when the bundle is
//! created, before any host is contacted: DIR, the signing key (opened
//! then: an encrypted key or a missing agent is bad input, not a bundle
//! lost after the audit), the input files (copied then, the bytes the run
//! reads). The facts go in as the hosts finish (`run`, through a saved-facts
//! `Staging` into `facts/`) or are copied before evaluating (`evaluate`,
//! which then evaluates the copy); the reports and the rest when the run
//! is decided, then the manifest, the signatures, and the rename.

use super::manifest::Manifest;
use super::{
    place, BundleError, ATTESTATION, ATTESTATIONS, BENCHMARKS_DIR, FACTS_DIR, MANIFEST, REPORT_HTML, REPORT_JSON, REPORT_JUNIT,
    RUN, RUN_SCHEMA, SIGNATURE, WAIVERS,
};
use crate::benchmark;
use crate::evidence::{SavedSet, Staging, INDEX_FILE};
use crate::outcome::{Report, Status};
use crate::signing::{self, Signer, Statement, Subject, TestResult, TestVerdict};
use chrono::{DateTime, FixedOffset};
use crate::digest::sha256_hex;
use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A bundle being written.
pub struct Bundle {
    dir: PathBuf,
    work: PathBuf,
    signer: Option<Signer>,
    /// `--benchmark` as given: a directory's files are read from it.
    benchmark: String,
}

/// The input files a bundle keeps, as given on the command line.
pub struct Inputs<'a> {
    pub inventory: Option<&'a Path>,
    pub waivers: Option<&'a Path>,
    pub attestations: Option<&'a Path>,
}

impl Bundle {
    /// Opens the signer, checks DIR, creates the working directory and
    /// copies the input files into it.
    pub fn create(dir: &Path, sign_key: Option<&str>, benchmark: &str, inputs: &Inputs) -> Result<Bundle, BundleError> {
        let signer = sign_key.map(Signer::open).transpose()?;
        let work = place::create_work(dir)?;
        let bundle = Bundle { dir: dir.to_path_buf(), work, signer, benchmark: benchmark.to_string() };
        let copied = (|| {
            if let Some(path) = inputs.inventory {
                let name = match path.extension() {
                    Some(ext) => format!("inventory.{}", ext.to_string_lossy()),
                    None => "inventory".to_string(),
                };
                bundle.copy_in(path, &name)?;
            }
            for (path, name) in [(inputs.waivers, WAIVERS), (inputs.attestations, ATTESTATIONS)] {
                if let Some(path) = path {
                    bundle.copy_in(path, name)?;
                }
            }
            Ok(())
        })();
        copied.map(|()| bundle)
    }

    /// Where `run` saves each host's facts: `facts/` of the bundle.
    pub fn facts_staging(&self, started_at: DateTime<FixedOffset>) -> Result<Arc<Staging>, BundleError> {
        Ok(Arc::new(Staging::create(&self.work.join(FACTS_DIR), started_at)?))
    }

    /// Copies the saved set `set` into `facts/` and returns that copy, which
    /// `evaluate` then evaluates: the report is of exactly what the bundle holds.
    pub fn copy_facts(&self, set: &SavedSet) -> Result<PathBuf, BundleError> {
        let facts = self.work.join(FACTS_DIR);
        fs::DirBuilder::new().mode(0o700).create(&facts).map_err(|source| BundleError::Write { path: facts.clone(), source })?;
        let files = set.records().iter().filter_map(|r| match &r.status {
            crate::evidence::HostStatus::Ok { file, .. } => Some(file.as_str()),
            crate::evidence::HostStatus::Error { .. } => None,
        });
        for file in std::iter::once(INDEX_FILE).chain(files) {
            let bytes = crate::evidence::read_regular(&set.dir().join(file))?;
            write_file(&facts.join(file), &bytes)?;
        }
        Ok(facts)
    }

    /// Writes the reports and the rest, the manifest and the signatures,
    /// and puts the bundle in DIR's place; on any failure the working
    /// directory is removed and DIR left as it was.
    pub fn finish(self, report: &Report, argv: &[String]) -> Result<PathBuf, BundleError> {
        self.write_rest(report, argv)?;
        place::put_in_place(&self.work, &self.dir).map(|()| self.dir.clone())
    }

    fn write_rest(&self, report: &Report, argv: &[String]) -> Result<(), BundleError> {
        self.write_with(REPORT_JSON, |out| crate::report::json::write(report, out))?;
        self.write_with(REPORT_JUNIT, |out| crate::report::junit::write(report, out))?;
        self.write_with(REPORT_HTML, |out| crate::report::html::write(report, out))?;
        self.write_benchmarks(report)?;
        self.write_run(report, argv)?;
        let mut manifest = Manifest::of_dir(&self.work).map_err(|e| BundleError::Read {
            path: self.work.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        if let Some(signer) = &self.signer {
            let envelope = self.attestation(signer, report, &manifest)?;
            write_file(&self.work.join(ATTESTATION), envelope.as_bytes())?;
            manifest.0.insert(ATTESTATION.to_string(), sha256_hex(envelope.as_bytes()));
        }
        let text = manifest.render();
        write_file(&self.work.join(MANIFEST), text.as_bytes())?;
        if let Some(signer) = &self.signer {
            let signature = signing::sign_sshsig(signer, signing::NAMESPACE, text.as_bytes())?;
            write_file(&self.work.join(SIGNATURE), signature.as_bytes())?;
        }
        fs::File::open(&self.work).and_then(|d| d.sync_all()).map_err(|source| BundleError::Write { path: self.work.clone(), source })
    }

    fn copy_in(&self, from: &Path, name: &str) -> Result<(), BundleError> {
        let bytes = crate::evidence::read_regular(from)?;
        write_file(&self.work.join(name), &bytes)
    }

    fn write_with(&self, name: &str, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), BundleError> {
        let path = self.work.join(name);
        let fail = |source| BundleError::Write { path: path.clone(), source };
        let file = create(&path).map_err(fail)?;
        let mut out = BufWriter::with_capacity(64 * 1024, &file);
        write(&mut out).map_err(fail)?;
        out.into_inner().map_err(|e| fail(e.into_error()))?;
        file.sync_all().map_err(fail)
    }

    /// `benchmarks/<id>/`: the definition files of every benchmark that
    /// judged a host, and of every benchmark those extend.
    fn write_benchmarks(&self, report: &Report) -> Result<(), BundleError> {
        let judged: BTreeSet<&str> = report.hosts.iter().filter_map(|h| h.benchmark.as_ref()).map(|b| b.id.as_str()).collect();
        // A directory judged every host (`--benchmark PATH`); a built-in
        // benchmark's files are embedded.
        let directory = self.benchmark != "auto" && !benchmark::builtin_ids().contains(&self.benchmark.as_str());
        let mut pending: Vec<(String, String)> =
            judged.iter().map(|id| (id.to_string(), if directory { self.benchmark.clone() } else { id.to_string() })).collect();
        let mut written = BTreeSet::new();
        while let Some((id, source)) = pending.pop() {
            if !written.insert(id.clone()) {
                continue;
            }
            let benchmark::Definitions { files, extends } = benchmark::definition_files(&source)
                .map_err(|e| BundleError::Benchmark { id: id.clone(), why: e.to_string() })?;
            let dir = self.work.join(BENCHMARKS_DIR).join(&id);
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|source| BundleError::Write { path: dir.clone(), source })?;
            for (name, text) in files {
                write_file(&dir.join(name), text.as_bytes())?;
            }
            if let Some(parent) = extends {
                pending.push((parent.clone(), parent));
            }
        }
        Ok(())
    }

    /// `run.json`: what produced the bundle, when, by whom, where.
    fn write_run(&self, report: &Report, argv: &[String]) -> Result<(), BundleError> {
        let run = serde_json::json!({
            "schema": RUN_SCHEMA,
            "hardbench": {
                "version": env!("CARGO_PKG_VERSION"),
                "build": {
                    "os": std::env::consts::OS,
                    "arch": std::env::consts::ARCH,
                    "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
                },
            },
            "command": report.invocation.command,
            // The script that ran on the hosts (`run`); under `evaluate`
            // nothing ran, and each facts file names the script that gathered it.
            "gather_script_sha256": (report.invocation.command == "run").then(crate::digest::gather_script_sha256),
            "argv": argv,
            "started_at": report.started_at.to_rfc3339(),
            "finished_at": report.finished_at.to_rfc3339(),
            "operator": report.invocation.user,
            "machine": report.invocation.machine,
            "signer": self.signer.as_ref().map(Signer::fingerprint),
        });
        let mut text = serde_json::to_vec_pretty(&run).expect("a JSON value serializes");
        text.push(b'\n');
        write_file(&self.work.join(RUN), &text)
    }

    /// The in-toto Statement of the run in a DSSE envelope: one subject per
    /// facts and report file, the benchmark definitions and review files as
    /// its configuration, one test per host and check.
    fn attestation(&self, signer: &Signer, report: &Report, files: &Manifest) -> Result<String, BundleError> {
        let (mut subjects, mut configuration) = (Vec::new(), Vec::new());
        for (path, sha256) in files.0.iter().map(|(p, s)| (p.clone(), s.clone())) {
            if path.starts_with(&format!("{FACTS_DIR}/")) || path.starts_with("report.") {
                subjects.push(Subject::sha256(path, sha256));
            } else if path.starts_with(&format!("{BENCHMARKS_DIR}/")) || path == WAIVERS || path == ATTESTATIONS {
                configuration.push(Subject::sha256(path, sha256));
            }
        }
        let mut tests = Vec::new();
        for host in &report.hosts {
            match &host.result {
                Err(_) => tests.push((host.name.clone(), TestVerdict::Failed)),
                Ok(results) => tests.extend(results.iter().filter_map(|r| {
                    let verdict = match r.outcome.status {
                        Status::Pass | Status::Waived => TestVerdict::Passed,
                        Status::Warn | Status::Manual => TestVerdict::Warned,
                        Status::Fail | Status::Error => TestVerdict::Failed,
                        Status::NotApplicable | Status::Skip => return None,
                    };
                    Some((format!("{}/{}", host.name, r.id), verdict))
                })),
            }
        }
        let statement = Statement::test_result(subjects, TestResult::new(tests, configuration, None));
        Ok(signing::dsse_envelope(signer, signing::IN_TOTO_PAYLOAD_TYPE, &statement.to_json())?)
    }
}

/// A bundle not finished (given up, or its run stopped) leaves nothing.
impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = place::abandon(&self.work);
    }
}

/// A new file of mode 0600 (the bundle holds facts about hosts' security).
fn create(path: &Path) -> std::io::Result<fs::File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    let fail = |source| BundleError::Write { path: path.to_path_buf(), source };
    let mut file = create(path).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_bundle_given_up_leaves_nothing_and_an_earlier_one_stays_whole() {
        let parent = tempfile::tempdir().unwrap();
        let waivers = parent.path().join("w.toml");
        fs::write(&waivers, "[[waivers]]\n").unwrap();
        let inputs = Inputs { inventory: None, waivers: Some(&waivers), attestations: None };
        let dir = parent.path().join("evidence");
        let bundle = Bundle::create(&dir, None, "auto", &inputs).unwrap();
        assert_eq!(listing(&bundle.work), [WAIVERS], "the input is copied up front");
        drop(bundle);
        assert_eq!(listing(parent.path()), ["w.toml"], "no bundle, no working directory");

        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(MANIFEST), "earlier").unwrap();
        let bundle = Bundle::create(&dir, None, "auto", &inputs).unwrap();
        bundle.facts_staging(chrono::Local::now().fixed_offset()).unwrap();
        drop(bundle);
        assert_eq!(listing(parent.path()), ["evidence", "w.toml"]);
        assert_eq!(listing(&dir), [MANIFEST]);
        // A key that cannot sign is refused before DIR is touched.
        let missing = parent.path().join("no-such-key");
        let error = Bundle::create(&parent.path().join("other"), missing.to_str(), "auto", &inputs).err().unwrap();
        assert!(matches!(error, BundleError::Signer(_)), "{error}");
        assert_eq!(listing(parent.path()), ["evidence", "w.toml"]);
    }
}
