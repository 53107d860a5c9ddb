//! Saved facts as evidence (`run --save-facts DIR`, `evaluate --facts DIR`).
//!
//! A run's saved facts are one set: a directory holding, for every host
//! whose facts were gathered, `<file>.json` (schema `hardbench.facts/v1`,
//! named by `name.rs`), and `_index.json` (schema `hardbench.facts-index/v1`,
//! `index.rs`): the run's id and times, and every host of the run, in
//! inventory order, with its status; a host that failed is recorded with its
//! error, and a saved host with its file's sha256.
//!
//! A set is written into a fresh directory beside DIR and put in DIR's place
//! in one rename at the end (`staging.rs`), so DIR holds the previous set or
//! the new one whole, never a mix: the facts of a host that failed this time
//! cannot linger from an earlier run. `evaluate` reads a set only when it is
//! complete and consistent (`set.rs`): every file the index lists, with its
//! digest and its host, and nothing else; it reads regular files only
//! (`regular.rs`). Names starting with `_` belong to the set, not to a host,
//! so that later set-wide files (a signature) fit beside the index.

mod index;
mod name;
mod regular;
mod set;
mod staging;

pub use index::{HostRecord, HostStatus, Index, Origin, INDEX_FILE, INDEX_SCHEMA};
pub use name::for_host as file_name;
pub use regular::read as read_regular;
pub use set::SavedSet;
pub use staging::Staging;
pub(crate) use staging::{put_in_place, replaceable_entries, work_beside};

use std::path::PathBuf;

/// Why a saved-facts set cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// `--save-facts DIR` names something that is not ours to replace.
    #[error("cannot save facts into {dir}: {why}")]
    NotReplaceable { dir: PathBuf, why: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A FIFO, a device, a directory...: only regular files are read.
    #[error("cannot read {path}: it is {kind}, not a regular file")]
    NotRegular { path: PathBuf, kind: &'static str },
    /// A file of the set that does not parse or has the wrong schema.
    #[error("{path}: {why}")]
    Malformed { path: PathBuf, why: String },
    /// The set is not the complete, consistent output of one run.
    #[error("{dir} is not a complete set of saved facts: {why}")]
    Inconsistent { dir: PathBuf, why: String },
    /// A host's facts could not be saved, so the set was not written.
    #[error("the saved facts were not written to {dir}: {why}")]
    Incomplete { dir: PathBuf, why: String },
    /// SIGINT or SIGTERM arrived while `evaluate` was reading or evaluating.
    #[error(
        "interrupted by {} while evaluating the saved facts in {dir}; no report was written",
        crate::interrupt::signal_name(*signal)
    )]
    Interrupted { dir: PathBuf, signal: i32 },
}

#[cfg(test)]
mod tests {
    use super::index::HostStatus;
    use super::*;
    use crate::audit::HostIdentity;
    use crate::facts::Facts;
    use crate::gather::Gathering;
    use crate::transport::{HostError, HostErrorKind};
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::time::Duration;

    fn identity(name: &str) -> HostIdentity {
        HostIdentity {
            name: name.into(),
            address: "192.0.2.7".into(),
            port: 22,
            user: "audit".into(),
            sudo: true,
            roles: None,
        }
    }

    fn gathered(hostname: &str) -> Gathering {
        let mut facts = Facts::default();
        facts.identity.hostname = Some(hostname.into());
        Gathering {
            started_at: chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00+00:00").unwrap(),
            duration: Duration::from_millis(42),
            host_key: None,
            result: Ok(facts),
        }
    }

    fn failed(kind: HostErrorKind, message: &str) -> Gathering {
        Gathering { result: Err(HostError::new(kind, message)), ..gathered("") }
    }

    /// Writes one run's set into `dir`: each host with its gathering.
    fn save(dir: &Path, hosts: Vec<(&str, Gathering)>) -> Result<(), EvidenceError> {
        let staging = Staging::create(dir, chrono::Local::now().fixed_offset())?;
        let records = hosts.into_iter().map(|(name, g)| staging.save(&identity(name), g)).collect();
        staging.commit(records)
    }

    /// Per host: its name, and its facts' hostname or its error.
    type Loaded = (String, Result<Option<String>, HostError>);

    /// What `evaluate` reads back.
    fn load(dir: &Path) -> Result<Vec<Loaded>, EvidenceError> {
        let set = SavedSet::open(dir)?;
        set.records()
            .iter()
            .map(|record| {
                let (identity, gathering) = set.load(record)?;
                Ok((identity.name, gathering.result.map(|f| f.identity.hostname)))
            })
            .collect()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_set_is_written_whole_with_private_files_and_read_back_in_host_order() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("facts");
        let long = "x/".repeat(150);
        save(
            &dir,
            vec![
                ("cp-1", gathered("cp-1.example")),
                ("w-2", failed(HostErrorKind::Connect, "w-2: connection refused")),
                (long.as_str(), gathered("long")),
            ],
        )
        .unwrap();
        assert_eq!(listing(&dir), ["_index.json", "cp-1.json", file_name(&long).as_str()]);
        assert_eq!(listing(parent.path()), ["facts"], "the working directory is gone");
        assert_eq!(mode(&dir), 0o700);
        for file in listing(&dir) {
            assert_eq!(mode(&dir.join(&file)), 0o600, "{file}");
        }
        let index: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(INDEX_FILE)).unwrap()).unwrap();
        assert_eq!(index["schema"], INDEX_SCHEMA);
        assert_eq!(index["run_id"].as_str().unwrap().len(), 32);
        assert_eq!(index["hosts"][1]["status"], "error");
        assert_eq!(index["hosts"][1]["error"]["kind"], "connect");
        // The real name is inside the file, whatever its file name.
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(file_name(&long))).unwrap()).unwrap();
        assert_eq!(saved["host"], long.as_str());
        // What produced it: this hardbench and the script it runs on hosts.
        assert_eq!(saved["hardbench_version"], env!("CARGO_PKG_VERSION"));
        let script: String = sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), crate::GATHER_SCRIPT))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(saved["gather_script_sha256"], script.as_str());

        let loaded = load(&dir).unwrap();
        assert_eq!(
            loaded,
            [
                ("cp-1".to_string(), Ok(Some("cp-1.example".to_string()))),
                ("w-2".to_string(), Err(HostError::new(HostErrorKind::Connect, "w-2: connection refused"))),
                (long.clone(), Ok(Some("long".to_string()))),
            ]
        );
    }

    #[test]
    fn a_later_run_replaces_the_whole_set_so_a_host_that_failed_is_never_ok() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("facts");
        save(&dir, vec![("a", gathered("a")), ("b", gathered("b"))]).unwrap();
        let first = std::fs::read(dir.join(INDEX_FILE)).unwrap();
        save(&dir, vec![("a", gathered("a")), ("b", failed(HostErrorKind::Timeout, "b timed out"))]).unwrap();
        assert_eq!(listing(&dir), ["_index.json", "a.json"], "b's old facts are gone");
        assert_eq!(listing(parent.path()), ["facts"], "the previous set is removed");
        assert_ne!(std::fs::read(dir.join(INDEX_FILE)).unwrap(), first);
        let loaded = load(&dir).unwrap();
        assert_eq!(loaded[1], ("b".to_string(), Err(HostError::new(HostErrorKind::Timeout, "b timed out"))));
    }

    #[test]
    fn a_set_that_cannot_be_completed_leaves_the_previous_one() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("facts");
        save(&dir, vec![("a", gathered("a"))]).unwrap();
        let before = std::fs::read(dir.join(INDEX_FILE)).unwrap();
        let staging = Staging::create(&dir, chrono::Local::now().fixed_offset()).unwrap();
        let records = vec![
            staging.save(&identity("a"), gathered("a")),
            Err(EvidenceError::Write { path: "b.json".into(), source: std::io::Error::other("No space left") }),
        ];
        let error = staging.commit(records).unwrap_err().to_string();
        assert!(error.starts_with(&format!("the saved facts were not written to {}: ", dir.display())), "{error}");
        assert!(error.contains("No space left"), "{error}");
        assert_eq!(std::fs::read(dir.join(INDEX_FILE)).unwrap(), before);
        assert_eq!(listing(parent.path()), ["facts"], "the unfinished set is removed");
        // A host finishing after the set was closed writes nothing.
        assert!(staging.save(&identity("late"), gathered("late")).is_err());
        assert_eq!(listing(parent.path()), ["facts"]);
    }

    #[test]
    fn a_host_recorded_as_failed_leaves_no_file_even_if_its_work_wrote_one() {
        // After an interrupt, the run reports a host in flight as
        // interrupted while its worker may still finish and save it.
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("facts");
        let staging = Staging::create(&dir, chrono::Local::now().fixed_offset()).unwrap();
        let late = staging.save(&identity("late"), gathered("late")).unwrap();
        assert!(matches!(late.status, HostStatus::Ok { .. }));
        let interrupted = staging.save(&identity("late"), failed(HostErrorKind::Interrupted, "interrupted")).unwrap();
        staging.commit(vec![staging.save(&identity("a"), gathered("a")), Ok(interrupted)]).unwrap();
        assert_eq!(listing(&dir), ["_index.json", "a.json"]);
        assert_eq!(load(&dir).unwrap()[1], ("late".to_string(), Err(HostError::new(HostErrorKind::Interrupted, "interrupted"))));
    }

    #[test]
    fn only_a_new_an_empty_or_a_saved_directory_is_replaced() {
        let parent = tempfile::tempdir().unwrap();
        let now = chrono::Local::now().fixed_offset();
        let refused = |dir: &Path, why: &str| match Staging::create(dir, now) {
            Err(error @ EvidenceError::NotReplaceable { .. }) => {
                assert!(error.to_string().contains(why), "{error}")
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("{} was accepted", dir.display()),
        };
        let empty = parent.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        save(&empty, vec![("a", gathered("a"))]).unwrap();
        assert!(Staging::create(&parent.path().join("new/deeper"), now).is_ok());

        let home = parent.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(home.join("notes.txt"), "mine").unwrap();
        refused(&home, "it holds \"notes.txt\", and it is not a set of saved facts hardbench wrote (it has no _index.json)");
        let old = parent.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("cp-1.json"), "{}").unwrap();
        refused(&old, "(it has no _index.json)");
        let file = parent.path().join("file");
        std::fs::write(&file, "").unwrap();
        refused(&file, "it exists and is not a directory");
        let link = parent.path().join("link");
        std::os::unix::fs::symlink(&empty, &link).unwrap();
        refused(&link, "it is a symbolic link");
        refused(Path::new("."), "name the directory itself");
        assert_eq!(std::fs::read_to_string(home.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn evaluate_reads_only_a_complete_and_consistent_set() {
        let parent = tempfile::tempdir().unwrap();
        #[track_caller]
        fn refused(dir: &Path, why: &str) {
            match load(dir) {
                Err(error) => assert!(error.to_string().contains(why), "{error}"),
                Ok(hosts) => panic!("{} was read: {hosts:?}", dir.display()),
            }
        }
        let fresh = |name: &str| {
            let dir = parent.path().join(name);
            save(&dir, vec![("a", gathered("a")), ("b", gathered("b"))]).unwrap();
            dir
        };
        let edit_index = |dir: &Path, edit: &dyn Fn(&mut Index)| {
            let path = dir.join(INDEX_FILE);
            let mut index: Index = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            edit(&mut index);
            std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
        };

        let dir = fresh("extra");
        // Files that are not facts are ignored; facts the index does not list are not.
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.join("report.json"), "{\"schema\": \"hardbench.report/v1\"}").unwrap();
        std::fs::create_dir(dir.join("signatures")).unwrap();
        assert_eq!(load(&dir).unwrap().len(), 2);
        std::fs::copy(dir.join("a.json"), dir.join("c.json")).unwrap();
        refused(&dir, "\"c.json\" is not part of the run _index.json records");
        let dir = fresh("missing");
        std::fs::remove_file(dir.join("b.json")).unwrap();
        refused(&dir, "\"b.json\", listed in _index.json, is missing");
        let dir = fresh("edited");
        let text = std::fs::read_to_string(dir.join("b.json")).unwrap().replace("\"b\"", "\"B\"");
        std::fs::write(dir.join("b.json"), text).unwrap();
        refused(&dir, "b.json has sha256 ");
        let dir = fresh("swapped");
        std::fs::copy(dir.join("a.json"), dir.join("b.json")).unwrap();
        edit_index(&dir, &|index| {
            let a = index.hosts[0].status.clone();
            if let (HostStatus::Ok { sha256, .. }, HostStatus::Ok { sha256: b, .. }) = (a, &mut index.hosts[1].status) {
                *b = sha256;
            }
        });
        refused(&dir, "b.json is about host \"a\", not the \"b\" _index.json records");
        let dir = fresh("escape");
        edit_index(&dir, &|index| {
            if let HostStatus::Ok { file, .. } = &mut index.hosts[1].status {
                *file = "../escape/b.json".into();
            }
        });
        refused(&dir, "host \"b\" is saved as \"../escape/b.json\", not \"b.json\"");
        let dir = fresh("twice");
        edit_index(&dir, &|index| index.hosts[1].host = "a".into());
        refused(&dir, "host \"a\" is listed twice");
        let dir = fresh("schema");
        edit_index(&dir, &|index| index.schema = "hardbench.facts-index/v9".into());
        refused(&dir, "schema \"hardbench.facts-index/v9\" is not \"hardbench.facts-index/v1\"");
        let dir = fresh("no-index");
        std::fs::remove_file(dir.join(INDEX_FILE)).unwrap();
        refused(&dir, "it has no _index.json");
    }
}
