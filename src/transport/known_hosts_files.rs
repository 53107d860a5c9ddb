//! known_hosts files parsed once per run while they stay as they are. A run
//! reads the same file for every host, and parsing (base64-decoding every
//! key) a file that lists the fleet cost each host in proportion to the
//! fleet, so the whole run in proportion to its square. A file is parsed
//! again when its identity, size or times change, as when accept-new
//! appends a key to it during the run.

use super::known_hosts::KnownHosts;
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Default)]
pub struct KnownHostsFiles {
    parsed: Mutex<HashMap<PathBuf, (Stamp, Arc<KnownHosts>)>>,
}

/// What tells one state of a file from another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(meta: &Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

impl KnownHostsFiles {
    /// The file at `path`, parsed; empty when there is none. The stamp is
    /// taken from the open file before it is read, so a file that changes
    /// while it is read is read again for the next host.
    pub fn read(&self, path: &Path) -> io::Result<Arc<KnownHosts>> {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Arc::default()),
            Err(e) => return Err(e),
        };
        let stamp = Stamp::of(&file.metadata()?);
        let cached = self.lock().get(path).filter(|(seen, _)| *seen == stamp).map(|(_, parsed)| Arc::clone(parsed));
        if let Some(parsed) = cached {
            return Ok(parsed);
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let parsed = Arc::new(KnownHosts::parse(&String::from_utf8_lossy(&bytes)));
        self.lock().insert(path.to_path_buf(), (stamp, Arc::clone(&parsed)));
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (Stamp, Arc<KnownHosts>)>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const KEY_A: &str = "a.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n";
    const KEY_B: &str = "b.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq4r3Vc1hJoyV1WvWwMpbqGBt4IlXUgOKGDR9kNpdcn\n";

    #[test]
    fn a_file_is_parsed_once_while_it_stays_and_again_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let files = KnownHostsFiles::default();
        // No file: nothing is known, and nothing is kept.
        assert_eq!(*files.read(&path).unwrap(), KnownHosts::default());
        std::fs::write(&path, KEY_A).unwrap();
        let first = files.read(&path).unwrap();
        assert_eq!(*first, KnownHosts::parse(KEY_A));
        assert!(Arc::ptr_eq(&first, &files.read(&path).unwrap()), "an unchanged file is not parsed again");
        // Appended (as accept-new does): parsed again, with the new line.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(KEY_B.as_bytes()).unwrap();
        let second = files.read(&path).unwrap();
        assert_eq!(*second, KnownHosts::parse(&format!("{KEY_A}{KEY_B}")));
        // Replaced by another file of the same size: another inode, parsed again.
        let other = dir.path().join("other");
        std::fs::write(&other, format!("{KEY_B}{KEY_A}")).unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(*files.read(&path).unwrap(), KnownHosts::parse(&format!("{KEY_B}{KEY_A}")));
        // Removed: nothing is known again.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(*files.read(&path).unwrap(), KnownHosts::default());
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = KnownHostsFiles::default().read(dir.path()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory, "{error}");
    }
}
