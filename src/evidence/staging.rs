//! Writing one run's set of saved facts: into a fresh directory beside DIR
//! (`.DIR.hardbench-XXXXXX`, mode 0700, files 0600: facts are evidence about
//! a host's security), each host's file as soon as that host is done, then
//! the index, then the whole directory in DIR's place in one rename (an
//! exchange when DIR holds the previous set, which is then removed). A run
//! that stops before that leaves DIR as it was.
//!
//! DIR must be new, empty, or a set hardbench wrote: it is replaced whole,
//! so anything else in it would be lost, and that is refused before any
//! host is contacted.

use super::index::{HostRecord, HostStatus, Index, Origin, INDEX_FILE, INDEX_SCHEMA};
use super::{name, EvidenceError};
use crate::audit::HostIdentity;
use crate::facts::{SavedFacts, FACTS_SCHEMA};
use crate::gather::Gathering;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

pub struct Staging {
    /// DIR, where the set goes.
    dir: PathBuf,
    /// The directory the set is written into.
    work: PathBuf,
    run_id: String,
    started_at: DateTime<FixedOffset>,
    /// False once the set was committed or given up: a host finishing
    /// after that (its thread outlived an interrupt) writes nothing.
    open: RwLock<bool>,
    /// The inventory and shard the index records.
    origin: std::sync::OnceLock<Origin>,
}

/// Checks with `replaceable` that `dir` may be replaced, and creates the
/// directory its replacement is written into, beside it
/// (`.DIR.hardbench-XXXXXX`, mode 0700; tracked, so that a second signal
/// removes it). Shared by saved-facts sets and evidence bundles, which
/// differ only in what an earlier one looks like. `Err`: why not, in words.
pub(crate) fn work_beside(dir: &Path, replaceable: impl FnOnce(&Path) -> Result<(), String>) -> Result<PathBuf, String> {
    let Some(base) = dir.file_name() else {
        return Err("name the directory itself (not `.`, `..` or `/`)".into());
    };
    replaceable(dir)?;
    let parent = crate::output::parent_dir(dir);
    fs::create_dir_all(&parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    crate::interrupt::track(|| {
        let work = tempfile::Builder::new()
            .prefix(&format!(".{}.hardbench-", base.to_string_lossy()))
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(&parent)?
            .keep();
        Ok((work.clone(), work))
    })
    .map_err(|e| format!("{} does not accept a new directory ({e})", parent.display()))
}

impl Staging {
    /// Checks that DIR may be replaced and creates the directory the set is
    /// written into. Runs before any host is contacted.
    pub fn create(dir: &Path, started_at: DateTime<FixedOffset>) -> Result<Staging, EvidenceError> {
        let work = work_beside(dir, check_replaceable)
            .map_err(|why| EvidenceError::NotReplaceable { dir: dir.to_path_buf(), why })?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            work,
            run_id: run_id(),
            started_at,
            open: RwLock::new(true),
            origin: std::sync::OnceLock::new(),
        })
    }

    /// Records in the index which inventory the hosts come from and the
    /// shard of it the run audited (the first call counts).
    pub fn record_origin(&self, origin: Origin) {
        let _ = self.origin.set(origin);
    }

    /// Saves a host's facts exactly as another set holds them (`bytes`,
    /// whose sha256 `record` gives), for `hardbench merge --facts`: the
    /// file keeps its digest, so the merged index vouches for the same bytes.
    pub fn adopt(&self, record: HostRecord, bytes: &[u8]) -> Result<HostRecord, EvidenceError> {
        if let HostStatus::Ok { file, .. } = &record.status {
            let path = self.work.join(file);
            let fail = |source: io::Error| EvidenceError::Write { path: path.clone(), source };
            let mut out = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(fail)?;
            out.write_all(bytes).and_then(|()| out.sync_all()).map_err(fail)?;
        }
        Ok(record)
    }

    /// Saves a host's facts, if it has any, and returns its record for the index.
    pub fn save(&self, identity: &HostIdentity, gathering: Gathering) -> Result<HostRecord, EvidenceError> {
        let open = self.open.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*open {
            return Err(self.incomplete(format!("{} finished after the set was closed", identity.name)));
        }
        let duration_ms = u64::try_from(gathering.duration.as_millis()).unwrap_or(u64::MAX);
        let status = match gathering.result {
            Err(error) => HostStatus::Error {
                error,
                started_at: gathering.started_at.to_rfc3339(),
                duration_ms,
                host_key: gathering.host_key,
            },
            Ok(facts) => {
                let saved = SavedFacts {
                    schema: FACTS_SCHEMA.to_string(),
                    host: identity.name.clone(),
                    address: identity.address.clone(),
                    port: identity.port,
                    user: identity.user.clone(),
                    sudo: identity.sudo,
                    roles: identity.roles.clone(),
                    host_key: gathering.host_key,
                    collected_at: gathering.started_at.to_rfc3339(),
                    duration_ms,
                    hardbench_version: Some(env!("CARGO_PKG_VERSION").to_string()),
                    gather_script_sha256: Some(crate::digest::gather_script_sha256().to_string()),
                    facts,
                };
                let file = name::for_host(&identity.name);
                let sha256 = write_json(&self.work.join(&file), &saved)?;
                HostStatus::Ok { file, sha256 }
            }
        };
        Ok(HostRecord::new(identity, status))
    }

    /// Writes the index of `records` (every host of the run, in inventory
    /// order) and puts the set in DIR's place. When a host could not be
    /// saved, or anything here fails, nothing is put in place and DIR is
    /// left as it was. Either way the working directory is gone afterwards.
    pub fn commit(&self, records: Vec<Result<HostRecord, EvidenceError>>) -> Result<(), EvidenceError> {
        let mut open = self.open.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *open = false;
        let result = self.write_and_swap(records);
        // After an exchange the working directory holds the previous set;
        // after a plain rename it is gone; after an error it holds the
        // unfinished one.
        let removed = crate::interrupt::untrack(
            || match fs::remove_dir_all(&self.work) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
            &self.work,
        );
        if let Err(error) = removed {
            if result.is_ok() {
                return Err(EvidenceError::Write { path: self.work.clone(), source: error });
            }
        }
        result
    }

    fn write_and_swap(&self, records: Vec<Result<HostRecord, EvidenceError>>) -> Result<(), EvidenceError> {
        let hosts = records
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.incomplete(error.to_string()))?;
        let index = Index {
            schema: INDEX_SCHEMA.to_string(),
            run_id: self.run_id.clone(),
            hardbench_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: self.started_at.to_rfc3339(),
            finished_at: chrono::Local::now().fixed_offset().to_rfc3339(),
            hosts,
            inventory: self.origin.get().and_then(|origin| origin.inventory.clone()),
            shard: self.origin.get().and_then(|origin| origin.shard),
        };
        self.remove_unrecorded(&index)?;
        write_json(&self.work.join(INDEX_FILE), &index)?;
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EvidenceError::Write { path, source }
        };
        File::open(&self.work).and_then(|d| d.sync_all()).map_err(write_error(&self.work))?;
        // DIR may have changed while the hosts were audited.
        check_replaceable(&self.dir)
            .map_err(|why| EvidenceError::NotReplaceable { dir: self.dir.clone(), why })?;
        put_in_place(&self.work, &self.dir).map_err(write_error(&self.dir))?;
        let parent = self.work.parent().unwrap_or(Path::new("."));
        File::open(parent).and_then(|d| d.sync_all()).map_err(write_error(parent))
    }

    /// Removes the file of a host the index does not record as saved: one
    /// whose work ended after an interrupt had already closed the wait, so
    /// that the run reports it as interrupted.
    fn remove_unrecorded(&self, index: &Index) -> Result<(), EvidenceError> {
        let saved: Vec<&str> = index
            .hosts
            .iter()
            .filter_map(|h| match &h.status {
                HostStatus::Ok { file, .. } => Some(file.as_str()),
                HostStatus::Error { .. } => None,
            })
            .collect();
        let read_error = |source| EvidenceError::Read { path: self.work.clone(), source };
        for entry in fs::read_dir(&self.work).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if !path.file_name().is_some_and(|name| saved.iter().any(|s| name == *s)) {
                fs::remove_file(&path).map_err(|source| EvidenceError::Write { path, source })?;
            }
        }
        Ok(())
    }

    fn incomplete(&self, why: String) -> EvidenceError {
        EvidenceError::Incomplete { dir: self.dir.clone(), why }
    }
}

/// The names in `dir`, sorted, for a directory about to be replaced whole:
/// `None` when it does not exist; a refusal, in words, when it is a
/// symbolic link or not a directory (a set and an evidence bundle are
/// replaced by the same rules).
pub(crate) fn replaceable_entries(dir: &Path) -> Result<Option<Vec<std::ffi::OsString>>, String> {
    let metadata = match fs::symlink_metadata(dir) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.to_string()),
    };
    if metadata.file_type().is_symlink() {
        return Err("it is a symbolic link; name the directory itself".into());
    }
    if !metadata.is_dir() {
        return Err("it exists and is not a directory".into());
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| e.to_string())? {
        names.push(entry.map_err(|e| e.to_string())?.file_name());
    }
    names.sort();
    Ok(Some(names))
}

/// DIR is replaced whole: it must be absent, empty, or hold only a set.
fn check_replaceable(dir: &Path) -> Result<(), String> {
    let Some(names) = replaceable_entries(dir)? else { return Ok(()) };
    let is_set = names.iter().any(|n| n == INDEX_FILE);
    let foreign = names.iter().find(|n| !(is_set && n.as_bytes().ends_with(b".json")));
    match foreign {
        None => Ok(()),
        Some(name) => Err(format!(
            "it holds {:?}, and it is not a set of saved facts hardbench wrote{}; the set replaces the \
             directory whole, so give a new or empty directory, or one an earlier run wrote",
            name.to_string_lossy(),
            if is_set { "" } else { " (it has no _index.json)" }
        )),
    }
}

/// Renames `work` to `dir`, or exchanges them when `dir` is not empty.
pub(crate) fn put_in_place(work: &Path, dir: &Path) -> io::Result<()> {
    match fs::rename(work, dir) {
        Err(error) if matches!(error.raw_os_error(), Some(libc::ENOTEMPTY | libc::EEXIST)) => exchange(work, dir),
        other => other,
    }
}

fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths; renameat2 only reads them.
    let status =
        unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if status == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Writes `value` as pretty JSON into a new file of mode 0600 and returns
/// the SHA-256 of what was written, in lower-case hex.
fn write_json(path: &Path, value: &impl Serialize) -> Result<String, EvidenceError> {
    let fail = |source: io::Error| EvidenceError::Write { path: path.to_path_buf(), source };
    let file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(fail)?;
    let mut out = BufWriter::with_capacity(64 * 1024, Hashing { inner: &file, hasher: Sha256::new() });
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from).map_err(fail)?;
    out.write_all(b"\n").map_err(fail)?;
    let hashing = out.into_inner().map_err(|e| fail(e.into_error()))?;
    file.sync_all().map_err(fail)?;
    Ok(crate::digest::hex(&hashing.hasher.finalize()))
}


/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A run's id: 128 bits in hex, from std's randomly keyed hasher (seeded
/// by the operating system) over the time and the process id.
fn run_id() -> String {
    use std::hash::BuildHasher;
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let high = std::collections::hash_map::RandomState::new().hash_one(nanos);
    let low = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    format!("{high:016x}{low:016x}")
}
