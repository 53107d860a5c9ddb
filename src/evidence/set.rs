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
        let index = self.dir.join(INDEX_FILE);
        let gathering = match &record.status {
            HostStatus::Error { error, started_at, duration_ms, host_key } => Gathering {
                started_at: DateTime::parse_from_rfc3339(started_at)
                    .map_err(|e| malformed(&index, format!("{}: started_at {started_at:?}: {e}", record.host)))?,
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

fn parse<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T, EvidenceError> {
    serde_json::from_slice(bytes).map_err(|e| malformed(path, e.to_string()))
}

fn malformed(path: &Path, why: String) -> EvidenceError {
    EvidenceError::Malformed { path: path.to_path_buf(), why }
}

#[cfg(test)]
mod tests {
    use super::*;

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
