//! Reading a set back (`evaluate --facts DIR`): the index first, then the
//! directory is checked against it (every file it lists is there, nothing
//! else is), then each host is loaded when the caller asks for it, so that
//! only one host's facts are in memory at a time. A saved host's file must
//! have the digest the index gives and be about the same host; a failed
//! host comes back as the error it was.

use super::index::{HostRecord, HostStatus, Index, INDEX_FILE, INDEX_SCHEMA};
use super::{name, regular, EvidenceError};
use crate::audit::HostIdentity;
use crate::facts::{SavedFacts, FACTS_SCHEMA};
use crate::gather::Gathering;
use chrono::DateTime;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct SavedSet {
    dir: PathBuf,
    index: Index,
}

impl SavedSet {
    /// Reads the index of the set in `dir` and checks the directory against it.
    pub fn open(dir: &Path) -> Result<SavedSet, EvidenceError> {
        let inconsistent = |why: String| EvidenceError::Inconsistent { dir: dir.to_path_buf(), why };
        let path = dir.join(INDEX_FILE);
        if !path.exists() && dir.is_dir() {
            return Err(inconsistent(format!(
                "it has no {INDEX_FILE} (a set written by `hardbench run --save-facts` has one; \
                 sets saved before it was introduced must be gathered again)"
            )));
        }
        let index: Index = parse(&path, &regular::read(&path)?)?;
        if index.schema != INDEX_SCHEMA {
            return Err(malformed(&path, format!("schema {:?} is not {INDEX_SCHEMA:?}", index.schema)));
        }
        if let Some(shard) = index.shard {
            crate::shard::Shard::new(shard.index, shard.count).map_err(|why| malformed(&path, format!("shard: {why}")))?;
        }
        let mut hosts = BTreeSet::new();
        let mut files = BTreeSet::from([INDEX_FILE.to_string()]);
        for record in &index.hosts {
            if !hosts.insert(record.host.as_str()) {
                return Err(malformed(&path, format!("host {:?} is listed twice", record.host)));
            }
            if let HostStatus::Ok { file, .. } = &record.status {
                let expected = name::for_host(&record.host);
                if *file != expected {
                    return Err(malformed(
                        &path,
                        format!("host {:?} is saved as {file:?}, not {expected:?}", record.host),
                    ));
                }
                files.insert(expected);
            }
        }
        let mut present = BTreeSet::new();
        let entries = std::fs::read_dir(dir).map_err(|source| EvidenceError::Read { path: dir.to_path_buf(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| EvidenceError::Read { path: dir.to_path_buf(), source })?;
            present.insert(entry.file_name().to_string_lossy().into_owned());
        }
        // A file that is not facts (a note, a signature, a bundle's other
        // files) is none of the set's business; facts the index does not
        // list are: they could be taken for the run's.
        if let Some(extra) = present.difference(&files).find(|name| is_facts(&dir.join(name))) {
            return Err(inconsistent(format!("{extra:?} is not part of the run {INDEX_FILE} records")));
        }
        if let Some(missing) = files.difference(&present).next() {
            return Err(inconsistent(format!("{missing:?}, listed in {INDEX_FILE}, is missing")));
        }
        Ok(SavedSet { dir: dir.to_path_buf(), index })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every host of the run, in inventory order.
    pub fn records(&self) -> &[HostRecord] {
        &self.index.hosts
    }

    /// The index as read: the run's id, times, hosts, inventory and shard.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// A saved host's file, as its bytes, checked against the digest the
    /// index records (`hardbench merge --facts` copies it as it is).
    pub fn read_saved(&self, file: &str, sha256: &str) -> Result<Vec<u8>, EvidenceError> {
        let bytes = regular::read(&self.dir.join(file))?;
        self.check_digest(file, sha256, &bytes)?;
        Ok(bytes)
    }

    fn check_digest(&self, file: &str, sha256: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
        let digest = Sha256::digest(bytes);
        if is_hex_of(sha256, &digest) {
            return Ok(());
        }
        let digest = crate::digest::hex(&digest);
        Err(EvidenceError::Inconsistent {
            dir: self.dir.clone(),
            why: format!("{file} has sha256 {digest}, and {INDEX_FILE} records {sha256}"),
        })
    }

    /// A host as the run left it: its facts, or the error it failed with.
    pub fn load(&self, record: &HostRecord) -> Result<(HostIdentity, Gathering), EvidenceError> {
        let gathering = match &record.status {
            HostStatus::Error { error, started_at, duration_ms, host_key } => Gathering {
                started_at: DateTime::parse_from_rfc3339(started_at)
                    .map_err(|e| malformed(&self.dir.join(INDEX_FILE), format!("{}: started_at {started_at:?}: {e}", record.host)))?,
                duration: Duration::from_millis(*duration_ms),
                host_key: host_key.clone(),
                result: Err(error.clone()),
            },
            HostStatus::Ok { file, sha256 } => {
                let path = self.dir.join(file);
                let bytes = regular::read(&path)?;
                self.check_digest(file, sha256, &bytes)?;
                let saved: SavedFacts = parse(&path, &bytes)?;
                drop(bytes);
                if saved.schema != FACTS_SCHEMA {
                    return Err(malformed(&path, format!("schema {:?} is not {FACTS_SCHEMA:?}", saved.schema)));
                }
                let same = (&saved.host, &saved.address, saved.port, &saved.user, saved.sudo, &saved.roles)
                    == (&record.host, &record.address, record.port, &record.user, record.sudo, &record.roles);
                if !same {
                    return Err(EvidenceError::Inconsistent {
                        dir: self.dir.clone(),
                        why: format!("{file} is about host {:?}, not the {:?} {INDEX_FILE} records", saved.host, record.host),
                    });
                }
                Gathering {
                    started_at: DateTime::parse_from_rfc3339(&saved.collected_at)
                        .map_err(|e| malformed(&path, format!("collected_at {:?}: {e}", saved.collected_at)))?,
                    duration: Duration::from_millis(saved.duration_ms),
                    host_key: saved.host_key,
                    result: Ok(saved.facts),
                }
            }
        };
        Ok((record.identity(), gathering))
    }
}

/// Whether `path` is a regular file of saved facts (a JSON object whose
/// schema is `FACTS_SCHEMA`), read only for a file the index does not list.
fn is_facts(path: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Schema {
        schema: Option<String>,
    }
    let is_json = path.extension().is_some_and(|ext| ext == "json");
    is_json
        && regular::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Schema>(&bytes).ok())
            .is_some_and(|s| s.schema.as_deref() == Some(FACTS_SCHEMA))
}

/// Whether `text` is `bytes` in lower-case hex, as the index records a
/// digest: compared in place, since formatting each host's digest to
/// compare it was a small but needless cost per host.
fn is_hex_of(text: &str, bytes: &[u8]) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    text.len() == 2 * bytes.len()
        && text.as_bytes().chunks(2).zip(bytes).all(|(pair, b)| *pair == [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
}

/// Reads a file of the set. serde_json checks that every string it reads
/// from bytes is UTF-8, a cost per string (two hundred of them in a
/// host's facts); from a `str` it need not, and one check of the whole
/// file is cheaper. A file that is not UTF-8 is read as bytes, so that the
/// error names where, as before.
fn parse<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, EvidenceError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
    .map_err(|e| malformed(path, e.to_string()))
}

fn malformed(path: &Path, why: String) -> EvidenceError {
    EvidenceError::Malformed { path: path.to_path_buf(), why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::HostIdentity;
    use crate::facts::*;
    use crate::evidence::Staging;
    use std::collections::BTreeMap;

    /// Facts with every kind and state of fact, so that every reader of
    /// the saved form is exercised.
    fn every_kind_of_fact() -> Facts {
        let stat = |mode, user: Option<&str>| {
            FileFact::Present(FileStat { kind: FileKind::File, mode, uid: 0, gid: 0, user: user.map(Into::into), group: None })
        };
        let owner = |started_by| Owner { uid: 0, euid: 0, cgroup: Some("/system.slice/kubelet.service".into()), started_by };
        Facts {
            identity: Identity { hostname: Some("h\u{e9}".into()), machine_id: None, effective_user: Some("root".into()) },
            processes: vec![
                Process {
                    name: "kubelet".into(),
                    pid: 27,
                    argv: vec!["/usr/bin/kubelet".into(), "--config=/var/lib/kubelet/config.yaml".into()],
                    cwd: Some("/".into()),
                    env: vec![("ETCD_NAME".into(), "e\"1\"".into())],
                    owner: Some(owner(StartedBy::Service { unit: "kubelet.service".into() })),
                },
                Process { name: "etcd".into(), pid: 9, argv: vec![], cwd: None, env: vec![], owner: Some(owner(StartedBy::Pod)) },
                Process { name: "kube-proxy".into(), pid: 31, argv: vec!["kube-proxy".into()], cwd: None, env: vec![], owner: None },
            ],
            files: BTreeMap::from([
                ("/etc/a".into(), stat(0o600, Some("root"))),
                ("/etc/b".into(), FileFact::Missing),
                ("/etc/c".into(), FileFact::Error { reason: "stat: Permission denied".into() }),
                ("/etc/d".into(), stat(0o4755, None)),
            ]),
            listings: BTreeMap::from([
                ("/etc/kubernetes/pki".into(), Listing::Entries { entries: vec!["/etc/kubernetes/pki/ca.crt".into()] }),
                ("/etc/cni/net.d".into(), Listing::Missing),
                ("/root".into(), Listing::Error { reason: "find: denied".into() }),
            ]),
            documents: BTreeMap::from([
                ("/var/lib/kubelet/config.yaml".into(), Document::Text { content: "a: 1\nb: \"\\t\"\n".into(), truncated: false }),
                ("/var/lib/kube-proxy/config.conf".into(), Document::Missing),
                ("/etc/x.yaml".into(), Document::Error { reason: "too big".into() }),
            ]),
            versions: BTreeMap::from([
                (
                    "kubelet".into(),
                    VersionFact::Reported {
                        text: "Kubernetes v1.33.4".into(),
                        source: Some(VersionSource::Executed { binary: "/usr/bin/kubelet".into() }),
                    },
                ),
                (
                    "kube-apiserver".into(),
                    VersionFact::Reported {
                        text: "v1.33.4".into(),
                        source: Some(VersionSource::ManifestImage { manifest: "/m.yaml".into(), image: "k8s/api:v1.33.4".into() }),
                    },
                ),
                ("kube-proxy".into(), VersionFact::Reported { text: "Kubernetes v1.33.4".into(), source: None }),
                ("etcd".into(), VersionFact::Error { reason: "no binary".into() }),
            ]),
            certificates: BTreeMap::from([
                ("/ca.crt".into(), CertFact::Fingerprint { method: FingerprintMethod::X509Der, sha256: "AB:CD".into() }),
                ("/old.crt".into(), CertFact::Fingerprint { method: FingerprintMethod::FileBytes, sha256: "EF".into() }),
                ("/gone.crt".into(), CertFact::Missing),
                ("/bad.crt".into(), CertFact::Error { reason: "unreadable".into() }),
            ]),
            problems: vec!["no find".into()],
        }
    }

    /// A set of one host, `a`, with `every_kind_of_fact`.
    fn saved_set(dir: &Path) {
        let identity = HostIdentity {
            name: "a".into(),
            address: "192.0.2.7".into(),
            port: 22,
            user: "audit".into(),
            sudo: true,
            roles: None,
        };
        let gathering = Gathering {
            started_at: DateTime::parse_from_rfc3339("2026-11-29T10:00:00+00:00").unwrap(),
            duration: Duration::from_millis(42),
            host_key: None,
            result: Ok(every_kind_of_fact()),
        };
        let staging = Staging::create(dir, chrono::Local::now().fixed_offset()).unwrap();
        staging.commit(vec![staging.save(&identity, gathering)]).unwrap();
    }

    /// Replaces `a.json` with `bytes` and records their digest in the
    /// index, so that only the file's content is in question.
    fn replace_saved(dir: &Path, bytes: &[u8]) {
        std::fs::write(dir.join("a.json"), bytes).unwrap();
        let path = dir.join(INDEX_FILE);
        let mut index: Index = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if let HostStatus::Ok { sha256, .. } = &mut index.hosts[0].status {
            *sha256 = crate::digest::hex(&Sha256::digest(bytes));
        }
        std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
    }

    fn load_one(dir: &Path) -> Result<Gathering, String> {
        let set = SavedSet::open(dir).map_err(|e| e.to_string())?;
        let prefix = format!("{}/", dir.display());
        set.load(&set.records()[0]).map(|(_, g)| g).map_err(|e| e.to_string().replace(&prefix, ""))
    }

    #[test]
    fn saved_facts_of_every_kind_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("facts");
        saved_set(&dir);
        let gathering = load_one(&dir).unwrap();
        assert_eq!(gathering.result, Ok(every_kind_of_fact()));
        assert_eq!(gathering.duration, Duration::from_millis(42));
        // Also when read from a compact form, with the keys in any order.
        let text = std::fs::read(dir.join("a.json")).unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        value["facts"]["documents"]["/var/lib/kubelet/config.yaml"] =
            serde_json::json!({"truncated": false, "content": "a: 1\nb: \"\\t\"\n", "state": "text"});
        value["facts"]["versions"]["kube-apiserver"] = serde_json::json!({
            "source": {"image": "k8s/api:v1.33.4", "kind": "manifest-image", "manifest": "/m.yaml"},
            "text": "v1.33.4",
            "state": "reported",
        });
        replace_saved(&dir, &serde_json::to_vec(&value).unwrap());
        assert_eq!(load_one(&dir).unwrap().result, Ok(every_kind_of_fact()));
    }

    #[test]
    fn a_saved_file_that_is_not_the_one_recorded_or_not_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("facts");
        saved_set(&dir);
        let good = std::fs::read(dir.join("a.json")).unwrap();
        let mut edited = good.clone();
        edited.extend_from_slice(b" ");
        std::fs::write(dir.join("a.json"), &edited).unwrap();
        let digest = |bytes: &[u8]| crate::digest::hex(&Sha256::digest(bytes));
        let expected = format!(
            "{} is not a complete set of saved facts: a.json has sha256 {}, and _index.json records {}",
            dir.display(),
            digest(&edited),
            digest(&good)
        );
        assert_eq!(load_one(&dir).err(), Some(expected));
        std::fs::remove_file(dir.join("a.json")).unwrap();
        let fifo = std::ffi::CString::new(dir.join("a.json").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert_eq!(load_one(&dir).err().as_deref(), Some("cannot read a.json: it is a FIFO, not a regular file"));
        std::fs::remove_file(dir.join("a.json")).unwrap();
        std::fs::create_dir(dir.join("a.json")).unwrap();
        assert_eq!(load_one(&dir).err().as_deref(), Some("cannot read a.json: it is a directory, not a regular file"));
    }

    /// What `evaluate` says of a saved file that is not what hardbench
    /// writes: serde_json's and serde's own words, with the line and
    /// column, exactly as they were before loading was made cheaper.
    #[test]
    fn malformed_saved_facts_are_refused_in_the_same_words() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("facts");
        saved_set(&dir);
        let good = std::fs::read_to_string(dir.join("a.json")).unwrap();
        #[track_caller]
        fn refused(dir: &Path, bytes: &[u8], expected: &str) {
            replace_saved(dir, bytes);
            match load_one(dir) {
                Err(error) => assert_eq!(error, expected, "{}", String::from_utf8_lossy(bytes)),
                Ok(_) => panic!("accepted: {}", String::from_utf8_lossy(bytes)),
            }
        }
        let edited = |from: &str, to: &str| {
            assert!(good.contains(from), "{from}");
            good.replacen(from, to, 1)
        };
        let mut not_utf8 = good.clone().into_bytes();
        let at = good.find("\"audit\"").unwrap() + 2;
        not_utf8[at] = 0xff;
        refused(&dir, &not_utf8, "a.json: invalid unicode code point at line 6 column 13");
        let refusals = [
            (String::new(), "a.json: EOF while parsing a value at line 1 column 0"),
            (edited("\"port\": 22,", "\"port\": 22,,"), "a.json: key must be a string at line 5 column 14"),
            (format!("{good}x"), "a.json: trailing characters at line 175 column 1"),
            (edited("\"duration_ms\"", "\"duration_msx\""), "a.json: unknown field `duration_msx`, expected one of `schema`, `host`, `address`, `port`, `user`, `sudo`, `roles`, `host_key`, `collected_at`, `duration_ms`, `hardbench_version`, `gather_script_sha256`, `facts` at line 11 column 16"),
            (edited("  \"port\": 22,\n", ""), "a.json: missing field `port` at line 173 column 1"),
            (edited("\"port\": 22", "\"port\": \"22\""), "a.json: invalid type: string \"22\", expected u16 at line 5 column 14"),
            (edited("\"port\": 22", "\"port\": 65536"), "a.json: invalid value: integer `65536`, expected u16 at line 5 column 15"),
            (edited("\"sudo\": true,", "\"sudo\": true, \"sudo\": false,"), "a.json: duplicate field `sudo` at line 7 column 22"),
            (edited("\"schema\": \"hardbench.facts/v1\"", "\"schema\": \"hardbench.facts/v2\""), "a.json: schema \"hardbench.facts/v2\" is not \"hardbench.facts/v1\""),
            (edited("\"audit\"", "\"au\tdit\""), "a.json: control character (\\u0000-\\u001F) found while parsing a string at line 6 column 14"),
            (edited("\"audit\"", "\"au\\qdit\""), "a.json: invalid escape at line 6 column 15"),
            (edited("\"collected_at\": \"2026-11-29T10:00:00+00:00\"", "\"collected_at\": \"yesterday\""), "a.json: collected_at \"yesterday\": premature end of input"),
            (edited("\"machine_id\": null,", "\"machine_id\": null, \"os\": 1,"), "a.json: unknown field `os`, expected one of `hostname`, `machine_id`, `effective_user` at line 17 column 30"),
            (edited("\"pid\": 27", "\"pid\": -27"), "a.json: invalid value: integer `-27`, expected u32 at line 23 column 18"),
            (edited("\"kind\": \"service\"", "\"kind\": \"user\""), "a.json: unknown variant `user`, expected one of `service`, `pod`, `other` at line 40 column 26"),
            (edited("\"unit\": \"kubelet.service\"", "\"unit\": 1"), "a.json: invalid type: integer `1`, expected a string at line 43 column 9"),
            (edited("\"kind\": \"service\",\n            \"unit\": \"kubelet.service\"", "\"kind\": \"service\""), "a.json: missing field `unit` at line 42 column 9"),
            (edited("\"kind\": \"pod\"", "\"unit\": \"x\""), "a.json: missing field `kind` at line 56 column 11"),
            (edited("\"mode\": 384,", "\"mode\": 384, \"size\": 1,"), "a.json: unknown field `size`, expected one of `state`, `kind`, `mode`, `uid`, `gid`, `user`, `group`, `reason` at line 72 column 27"),
            (edited("\"mode\": 384,", ""), "a.json: missing field `mode` at line 77 column 7"),
            (edited("\"state\": \"missing\"\n      },\n      \"/etc/c\"", "\"state\": \"missing\", \"reason\": \"x\"\n      },\n      \"/etc/c\""), "a.json: unknown field `reason` at line 80 column 7"),
            (edited("\"state\": \"entries\",", "\"state\": \"entries\", \"reason\": \"x\","), "a.json: unknown field `reason`, expected `entries` at line 104 column 7"),
            (edited("\"state\": \"entries\",", "\"state\": \"entry\","), "a.json: unknown variant `entry`, expected one of `entries`, `missing`, `error` at line 100 column 24"),
            (edited("\"state\": \"entries\",", ""), "a.json: missing field `state` at line 104 column 7"),
            (edited("\"entries\": [", "\"entries\": 1, \"x\": ["), "a.json: invalid type: integer `1`, expected a sequence at line 104 column 7"),
            (edited("\"truncated\": false", "\"truncated\": false, \"size\": 1"), "a.json: unknown field `size`, expected `content` or `truncated` at line 123 column 5"),
            (edited(",\n        \"truncated\": false", ""), "a.json: missing field `truncated` at line 122 column 5"),
            (edited("\"truncated\": false", "\"truncated\": \"no\""), "a.json: invalid type: string \"no\", expected a boolean at line 123 column 5"),
            (edited("\"state\": \"text\",", "\"state\": \"text\", \"content\": \"\","), "a.json: duplicate field `content` at line 123 column 5"),
            (edited("\"state\": \"text\",", "\"state\": 1,"), "a.json: invalid type: integer `1`, expected variant identifier at line 119 column 18"),
            (edited("\"reason\": \"too big\"", "\"reason\": \"too big\", \"content\": \"\""), "a.json: unknown field `content`, expected `reason` at line 114 column 7"),
            (edited("\"reason\": \"too big\"", "\"reasons\": \"too big\""), "a.json: unknown field `reasons`, expected `reason` at line 114 column 7"),
            (edited("\"text\": \"v1.33.4\"", "\"text\": 1"), "a.json: invalid type: integer `1`, expected a string at line 137 column 7"),
            (edited("\"kind\": \"manifest-image\"", "\"kind\": \"image\""), "a.json: unknown variant `image`, expected `manifest-image` or `executed` at line 137 column 7"),
            (edited("\"image\": \"k8s/api:v1.33.4\"", "\"image\": \"k8s/api:v1.33.4\", \"binary\": \"x\""), "a.json: unknown field `binary`, expected `manifest` or `image` at line 137 column 7"),
            (edited("\"binary\": \"/usr/bin/kubelet\"", "\"binaries\": \"/usr/bin/kubelet\""), "a.json: unknown field `binaries`, expected `binary` at line 150 column 5"),
            (edited("\"reason\": \"no binary\"", "\"reason\": \"no binary\", \"text\": \"x\""), "a.json: unknown field `text`, expected `reason` at line 128 column 7"),
            (edited("\"state\": \"reported\",", "\"state\": \"error\","), "a.json: unknown field `text`, expected `reason` at line 137 column 7"),
            (edited("\"method\": \"x509-der\"", "\"method\": \"der\""), "a.json: unknown variant `der`, expected `x509-der` or `file-bytes` at line 160 column 7"),
            (edited("\"sha256\": \"AB:CD\"", "\"sha256\": \"AB:CD\", \"sha1\": \"x\""), "a.json: unknown field `sha1`, expected `method` or `sha256` at line 160 column 7"),
            (edited("\"problems\": [", "\"problems\": [1, "), "a.json: invalid type: integer `1`, expected a string at line 170 column 18"),
            (edited("\"/etc/b\": {", "\"/etc/b\": []"), "a.json: invalid length 0, expected struct RawFileFact with 8 elements at line 78 column 18"),
            (edited("\"files\": {", "\"files\": []"), "a.json: invalid type: sequence, expected a map at line 68 column 13"),
            (edited("\"no find\"\n    ]", "\"no find\"\n    ],"), "a.json: trailing comma at line 173 column 3"),
            (edited("\"processes\": [", "\"processes\": {"), "a.json: invalid type: map, expected a sequence at line 20 column 17"),
        ];
        for (text, expected) in &refusals {
            refused(&dir, text.as_bytes(), expected);
        }
        // What was accepted stays accepted: whitespace anywhere, the old
        // name of a process's name, and fields beside a state that has none.
        let accepted = [
            edited("\n  \"host\"", " \"host\""),
            edited("\"name\": \"kubelet\"", "\"component\": \"kubelet\""),
            edited("\"kind\": \"pod\"", "\"kind\": \"pod\", \"unit\": \"x\""),
            edited("\"state\": \"missing\"\n      },\n      \"/etc/kubernetes/pki\"", "\"state\": \"missing\", \"entries\": []\n      },\n      \"/etc/kubernetes/pki\""),
            edited("\"state\": \"missing\"\n      },\n      \"/old.crt\"", "\"state\": \"missing\", \"x\": 1\n      },\n      \"/old.crt\""),
        ];
        for text in &accepted {
            replace_saved(&dir, text.as_bytes());
            assert!(load_one(&dir).is_ok(), "{text}");
        }
    }

    #[test]
    fn a_digest_matches_only_its_own_lower_case_hex() {
        let digest = Sha256::digest(b"facts");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert!(is_hex_of(&hex, &digest));
        for other in [hex.to_uppercase(), hex[..62].to_string(), format!("{hex}00"), format!("{}{}", if hex.starts_with('0') { '1' } else { '0' }, &hex[1..]), String::new()] {
            assert!(!is_hex_of(&other, &digest), "{other}");
        }
    }
}
