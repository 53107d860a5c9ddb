//! Reading a JSON report (schema `hardbench.report/v1`) back into the
//! domain's `Report`: for `hardbench diff`, `run --baseline` and
//! `hardbench report`. The reader mirrors the writer's structs (`json.rs`),
//! field by field, and takes every name (status, role, error kind) from the
//! writer's own tables, so the two cannot drift apart unseen.
//!
//! Strict where it matters: a file that is not a regular file, not JSON,
//! not of this schema, with a value of the wrong type, a status, role or
//! error kind the schema does not name, or a host whose `status` disagrees
//! with its `error` is refused, and the error names the file and, as
//! serde_json gives them, the line and column (or our JSON path). Fields it
//! does not know are ignored: v1 may gain fields, and a newer writer's
//! report must stay readable.
//!
//! What the JSON does not hold, and so the `Report` read back does not
//! either: the durations below a millisecond (`duration_ms`); which signal
//! interrupted a run whose report was also missing (`exit_code` 4 outranks
//! 130 and 143: `interrupted_by` is then `None`). `report_missing` and
//! `interrupted_by` are otherwise recovered from `exit_code`. The summaries
//! and the top-level `benchmark` are derived from the hosts, so they are not
//! read.

use super::{error_kind, role, status, SCHEMA};
use crate::component::Role;
use crate::evidence::EvidenceError;
use crate::facts::{Impostor, StartedBy};
use crate::outcome::{self, Report, Status};
use crate::transport::{HostErrorKind, HostKeyInfo};
use chrono::{DateTime, FixedOffset};
use serde::de::{Deserializer, Error as _, IgnoredAny, Unexpected};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why a file is not a report this reader accepts.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Missing, unreadable, or not a regular file (a FIFO is refused
    /// before it can block the read).
    #[error(transparent)]
    File(EvidenceError),
    /// Not JSON, or JSON of the wrong shape: serde_json's message says
    /// what and where (line and column).
    #[error("{}: not a hardbench JSON report: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Not a JSON object at the top level (a sequence would otherwise be
    /// read as a struct's fields in order).
    #[error("{}: not a hardbench JSON report: the top level is not a JSON object", path.display())]
    NotAnObject { path: PathBuf },
    /// JSON, but of another schema (or none).
    #[error("{}: not a hardbench JSON report: schema {}, expected \"{SCHEMA}\"", path.display(), found.as_deref().map_or("missing".to_owned(), |s| format!("{s:?}")))]
    Schema { path: PathBuf, found: Option<String> },
    /// Well-typed, but inconsistent: `at` is the JSON path.
    #[error("{}: {at}: {message}", path.display())]
    Invalid { path: PathBuf, at: String, message: String },
}

/// Reads the JSON report at `path`.
pub fn read(path: &Path) -> Result<Report, ReadError> {
    let bytes = crate::evidence::read_regular(path).map_err(ReadError::File)?;
    from_slice(&bytes, path)
}

/// Reads a JSON report from `bytes`; `path` names it in errors.
pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Report, ReadError> {
    let json = |source| ReadError::Json { path: path.to_path_buf(), source };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&first| first != b'{') {
        return Err(ReadError::NotAnObject { path: path.to_path_buf() });
    }
    // The schema first, alone: a file of another kind is named as such, not
    // by the first field it happens to lack.
    let Schema { schema } = serde_json::from_slice(bytes).map_err(json)?;
    if schema.as_deref() != Some(SCHEMA) {
        return Err(ReadError::Schema { path: path.to_path_buf(), found: schema });
    }
    let document: Document = serde_json::from_slice(bytes).map_err(json)?;
    document.into_report().map_err(|(at, message)| ReadError::Invalid { path: path.to_path_buf(), at, message })
}

#[derive(Deserialize)]
struct Schema {
    schema: Option<String>,
}

#[derive(Deserialize)]
struct Document {
    hardbench: Tool,
    started_at: Time,
    finished_at: Time,
    hosts: Vec<Host>,
    exit_code: u8,
    // Derived from the hosts when the report is written: not read back.
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
    #[serde(rename = "benchmark")]
    _benchmark: IgnoredAny,
}

#[derive(Deserialize)]
struct Tool {
    version: String,
}

#[derive(Deserialize)]
struct Benchmark {
    id: String,
    title: String,
    sha256: String,
    selected_by: String,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum HostStatus {
    Ok,
    Error,
}

#[derive(Deserialize)]
struct Host {
    name: String,
    address: String,
    port: u16,
    roles: Vec<Named<Role>>,
    roles_detected: bool,
    /// Left out when empty.
    #[serde(default)]
    notes: Vec<String>,
    status: HostStatus,
    error: Option<HostError>,
    user: String,
    sudo: bool,
    effective_user: Option<String>,
    reported_hostname: Option<String>,
    machine_id: Option<String>,
    host_key: Option<HostKeyInfo>,
    benchmark: Option<Benchmark>,
    kubernetes_version: Option<String>,
    kubernetes_version_source: Option<String>,
    impostor_processes: Vec<ImpostorProcess>,
    started_at: Time,
    duration_ms: u64,
    results: Vec<CheckResult>,
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
}

#[derive(Deserialize)]
struct ImpostorProcess {
    component: String,
    pid: u32,
    uid: Option<u32>,
    argv0: String,
    cgroup: Option<String>,
    started_by: Option<StartedBy>,
    reason: String,
}

#[derive(Deserialize)]
struct HostError {
    kind: Named<HostErrorKind>,
    message: String,
}

#[derive(Deserialize)]
struct CheckResult {
    id: String,
    title: String,
    section: String,
    target: Named<Role>,
    automated: bool,
    scored: bool,
    level: u8,
    status: Named<Status>,
    expected: String,
    actual: String,
    sources: Vec<Source>,
    notes: Vec<String>,
    remediation: String,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Source {
    Flag { component: String, flag: String },
    ConfigFile { path: String, key: String },
    Env { component: String, name: String },
    Manifest { path: String, flag: String },
    Default { component: String, reference: String },
    Unset { component: String },
    File { path: String },
}

/// A name of the schema, read back through the writer's own table.
struct Named<T>(T);

trait SchemaName: Copy + 'static {
    const ALL: &'static [Self];
    fn schema_name(self) -> &'static str;
}

impl SchemaName for Status {
    const ALL: &'static [Self] = &Status::ALL;
    fn schema_name(self) -> &'static str {
        status(self)
    }
}

impl SchemaName for Role {
    const ALL: &'static [Self] = &Role::ALL;
    fn schema_name(self) -> &'static str {
        role(self)
    }
}

impl SchemaName for HostErrorKind {
    const ALL: &'static [Self] = &HostErrorKind::ALL;
    fn schema_name(self) -> &'static str {
        error_kind(self)
    }
}

impl<'de, T: SchemaName> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        T::ALL.iter().copied().find(|value| value.schema_name() == name).map(Named).ok_or_else(|| {
            let names: Vec<&str> = T::ALL.iter().map(|value| value.schema_name()).collect();
            D::Error::invalid_value(Unexpected::Str(&name), &format!("one of {}", names.join(", ")).as_str())
        })
    }
}

/// An RFC 3339 time, as the writer's `timestamp` writes it.
struct Time(DateTime<FixedOffset>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(Time)
            .map_err(|_| D::Error::invalid_value(Unexpected::Str(&text), &"an RFC 3339 time"))
    }
}

/// A JSON path and what is wrong there.
type Problem = (String, String);

impl Document {
    fn into_report(self) -> Result<Report, Problem> {
        let hosts = self
            .hosts
            .into_iter()
            .enumerate()
            .map(|(index, host)| host.into_domain(&format!("hosts[{index}]")))
            .collect::<Result<_, _>>()?;
        // The exit code holds what the JSON has no field for; 4 outranks an
        // interrupt, which is then lost.
        let report_missing = self.exit_code == outcome::ExitCode::ReportMissing.code();
        let interrupted_by = [libc::SIGINT, libc::SIGTERM]
            .into_iter()
            .find(|&signal| outcome::ExitCode::Interrupted { signal }.code() == self.exit_code);
        Ok(Report {
            hardbench_version: self.hardbench.version,
            started_at: self.started_at.0,
            finished_at: self.finished_at.0,
            hosts,
            interrupted_by,
            report_missing,
            baseline: None,
        })
    }
}

impl Host {
    fn into_domain(self, at: &str) -> Result<outcome::HostReport, Problem> {
        let result = match (self.status, self.error) {
            (HostStatus::Ok, None) => {
                let results = self.results.into_iter().enumerate().map(|(index, result)| {
                    result.into_domain(&format!("{at}.results[{index}]"))
                });
                Ok(results.collect::<Result<_, _>>()?)
            }
            (HostStatus::Error, Some(error)) if self.results.is_empty() => {
                Err(crate::transport::HostError::new(error.kind.0, error.message))
            }
            (HostStatus::Error, Some(_)) => {
                return Err((format!("{at}.results"), "a host that could not be audited has no results".into()))
            }
            (HostStatus::Ok, Some(_)) => return Err((format!("{at}.error"), "set on a host whose status is \"ok\"".into())),
            (HostStatus::Error, None) => return Err((format!("{at}.error"), "null on a host whose status is \"error\"".into())),
        };
        Ok(outcome::HostReport {
            name: self.name,
            address: self.address,
            port: self.port,
            roles: self.roles.into_iter().map(|role| role.0).collect(),
            roles_detected: self.roles_detected,
            user: self.user,
            sudo: self.sudo,
            effective_user: self.effective_user,
            reported_hostname: self.reported_hostname,
            machine_id: self.machine_id,
            host_key: self.host_key,
            benchmark: self.benchmark.map(|b| outcome::BenchmarkInfo {
                id: b.id,
                title: b.title,
                sha256: b.sha256,
                selected_by: b.selected_by,
            }),
            kubernetes_version: self.kubernetes_version,
            kubernetes_version_source: self.kubernetes_version_source,
            impostors: self.impostor_processes.into_iter().map(Impostor::from).collect(),
            started_at: self.started_at.0,
            duration: Duration::from_millis(self.duration_ms),
            result,
            notes: self.notes,
        })
    }
}

impl From<ImpostorProcess> for Impostor {
    fn from(p: ImpostorProcess) -> Self {
        Impostor {
            component: p.component,
            pid: p.pid,
            uid: p.uid,
            argv0: p.argv0,
            cgroup: p.cgroup,
            started_by: p.started_by,
            reason: p.reason,
        }
    }
}

impl CheckResult {
    fn into_domain(self, at: &str) -> Result<outcome::CheckResult, Problem> {
        if !(1..=2).contains(&self.level) {
            return Err((format!("{at}.level"), format!("{}: a CIS profile level is 1 or 2", self.level)));
        }
        Ok(outcome::CheckResult {
            id: Arc::from(self.id),
            title: Arc::from(self.title),
            section: Arc::from(self.section),
            target: self.target.0,
            automated: self.automated,
            scored: self.scored,
            level: self.level,
            remediation: Arc::from(self.remediation),
            outcome: outcome::Outcome {
                status: self.status.0,
                expected: self.expected,
                actual: self.actual,
                sources: self.sources.into_iter().map(outcome::Source::from).collect(),
                notes: self.notes,
            },
        })
    }
}

impl From<Source> for outcome::Source {
    fn from(source: Source) -> Self {
        match source {
            Source::Flag { component, flag } => outcome::Source::Flag { component, flag },
            Source::ConfigFile { path, key } => outcome::Source::ConfigFile { path, key },
            Source::Env { component, name } => outcome::Source::Env { component, name },
            Source::Manifest { path, flag } => outcome::Source::Manifest { path, flag },
            Source::Default { component, reference } => outcome::Source::Default { component, reference },
            Source::Unset { component } => outcome::Source::Unset { component },
            Source::File { path } => outcome::Source::File { path },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{json, sample};
    use serde_json::{json, Value};

    fn written(report: &Report) -> Vec<u8> {
        let mut out = Vec::new();
        json::write(report, &mut out).unwrap();
        out
    }

    fn edited(report: &Report, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut doc: Value = serde_json::from_slice(&written(report)).unwrap();
        edit(&mut doc);
        serde_json::to_vec_pretty(&doc).unwrap()
    }

    fn refused(bytes: &[u8]) -> String {
        from_slice(bytes, Path::new("old.json")).unwrap_err().to_string()
    }

    /// A report read back equals the one written: everything the JSON
    /// holds comes back (the sample's durations are whole milliseconds).
    #[test]
    fn a_written_report_reads_back_equal() {
        for report in [sample::report(), sample::hostile(), sample::run(Vec::new())] {
            assert_eq!(from_slice(&written(&report), Path::new("r.json")).unwrap(), report);
        }
        let mut impostor = sample::report();
        impostor.hosts[0].impostors = vec![sample::impostor()];
        impostor.hosts[1].notes = vec!["roles differ".into()];
        assert_eq!(from_slice(&written(&impostor), Path::new("r.json")).unwrap(), impostor);
    }

    /// `report_missing` and `interrupted_by` come back from the exit code,
    /// except the signal when a report was also missing (4 outranks it).
    #[test]
    fn what_only_the_exit_code_holds_comes_back_from_it() {
        let mut report = sample::report();
        for (signal, missing, read_signal) in [
            (Some(libc::SIGTERM), false, Some(libc::SIGTERM)),
            (Some(libc::SIGINT), false, Some(libc::SIGINT)),
            (None, true, None),
            (Some(libc::SIGINT), true, None),
        ] {
            report.interrupted_by = signal;
            report.report_missing = missing;
            let read = from_slice(&written(&report), Path::new("r.json")).unwrap();
            assert_eq!((read.interrupted_by, read.report_missing), (read_signal, missing));
        }
    }

    /// Sub-millisecond durations are not in the JSON.
    #[test]
    fn durations_come_back_to_the_millisecond() {
        let mut report = sample::report();
        report.hosts[0].duration = Duration::from_micros(1_234_567);
        let read = from_slice(&written(&report), Path::new("r.json")).unwrap();
        assert_eq!(read.hosts[0].duration, Duration::from_millis(1234));
    }

    #[test]
    fn fields_a_newer_writer_adds_are_ignored() {
        let report = sample::report();
        let bytes = edited(&report, |doc| {
            doc["later"] = json!({"x": 1});
            doc["hosts"][0]["results"][0]["later"] = json!([1]);
        });
        assert_eq!(from_slice(&bytes, Path::new("r.json")).unwrap(), report);
    }

    /// Every refusal names the file, and where serde_json or we can, the place.
    #[test]
    fn anything_but_a_v1_report_is_refused_by_name() {
        let report = sample::report();
        #[track_caller]
        fn case(bytes: &[u8], expected: &str) {
            let message = refused(bytes);
            assert_eq!(message, expected);
        }
        case(b"", "old.json: not a hardbench JSON report: EOF while parsing a value at line 1 column 0");
        case(b" [1]", "old.json: not a hardbench JSON report: the top level is not a JSON object");
        case(b"{\"schema\": 1}", "old.json: not a hardbench JSON report: invalid type: integer `1`, expected a string at line 1 column 12");
        case(b"{\"schema\": \"hardbench.facts/v1\"}", "old.json: not a hardbench JSON report: schema \"hardbench.facts/v1\", expected \"hardbench.report/v1\"");
        case(b"{}", "old.json: not a hardbench JSON report: schema missing, expected \"hardbench.report/v1\"");
        let message = refused(&edited(&report, |doc| doc["hosts"][0]["results"][2]["status"] = json!("broken")));
        assert!(
            message.starts_with("old.json: not a hardbench JSON report: invalid value: string \"broken\", expected one of pass, fail, ")
                && message.contains(" at line "),
            "{message}"
        );
        let message = refused(&edited(&report, |doc| doc["hosts"][1]["port"] = json!("22")));
        assert!(message.contains("invalid type: string \"22\", expected u16 at line "), "{message}");
        let message = refused(&edited(&report, |doc| doc["hosts"][1]["roles"][0] = json!("master")));
        assert!(message.contains("invalid value: string \"master\", expected one of control-plane, etcd, worker"), "{message}");
        let message = refused(&edited(&report, |doc| doc["hosts"][2]["error"]["kind"] = json!("gone")));
        assert!(message.contains("invalid value: string \"gone\", expected one of connect, "), "{message}");
        let message = refused(&edited(&report, |doc| doc["started_at"] = json!("yesterday")));
        assert!(message.contains("invalid value: string \"yesterday\", expected an RFC 3339 time"), "{message}");
        let message = refused(&edited(&report, |doc| doc["hosts"][0]["results"][1]["sources"][0]["kind"] = json!("guess")));
        assert!(message.contains("unknown variant `guess`"), "{message}");
        let message = refused(&edited(&report, |doc| {
            doc["hosts"][1].as_object_mut().unwrap().remove("port");
        }));
        assert!(message.contains("missing field `port` at line "), "{message}");

        case(&edited(&report, |doc| doc["hosts"][2]["error"] = Value::Null), "old.json: hosts[2].error: null on a host whose status is \"error\"");
        case(&edited(&report, |doc| doc["hosts"][0]["status"] = json!("error")), "old.json: hosts[0].error: null on a host whose status is \"error\"");
        case(
            &edited(&report, |doc| doc["hosts"][0]["error"] = json!({"kind": "connect", "message": "m"})),
            "old.json: hosts[0].error: set on a host whose status is \"ok\"",
        );
        case(
            &edited(&report, |doc| {
                doc["hosts"][0]["error"] = json!({"kind": "connect", "message": "m"});
                doc["hosts"][0]["status"] = json!("error");
            }),
            "old.json: hosts[0].results: a host that could not be audited has no results",
        );
        case(&edited(&report, |doc| doc["hosts"][1]["results"][2]["level"] = json!(3)), "old.json: hosts[1].results[2].level: 3: a CIS profile level is 1 or 2");
    }

    #[test]
    fn only_a_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let message = read(dir.path()).unwrap_err().to_string();
        assert!(message.ends_with("it is a directory, not a regular file"), "{message}");
        let path = dir.path().join("report.json");
        std::fs::write(&path, written(&sample::report())).unwrap();
        assert_eq!(read(&path).unwrap(), sample::report());
        let message = read(&dir.path().join("missing.json")).unwrap_err().to_string();
        assert!(message.starts_with("cannot read ") && message.contains("missing.json"), "{message}");
    }
}
