//! Where reports and saved facts go. Paths are checked before any host is
//! contacted, and every file is written atomically (a temporary file in the
//! same directory, then a rename), so a reader sees the previous file or the
//! new complete one, never a truncated one.

use crate::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Checks that `path` can be written atomically: its directory exists and
/// accepts a new file, and `path` itself is not a directory.
pub fn check_writable(path: &Path) -> Result<(), Error> {
    let bad = |why: String| Error::BadInput(format!("cannot write {}: {why}", path.display()));
    if path.is_dir() {
        return Err(bad("it is a directory".into()));
    }
    let dir = parent_dir(path);
    tempfile::NamedTempFile::new_in(&dir)
        .map(drop)
        .map_err(|e| bad(format!("directory {} does not accept new files ({e})", dir.display())))
}

/// Creates `dir` if needed and checks it accepts new files.
pub fn prepare_dir(dir: &Path) -> Result<(), Error> {
    let bad = |why: String| Error::BadInput(format!("cannot write into {}: {why}", dir.display()));
    fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
    tempfile::NamedTempFile::new_in(dir).map(drop).map_err(|e| bad(e.to_string()))
}

/// Writes `bytes` to `path` atomically, readable by others (reports hold no
/// secrets, and auditors often collect them as another user).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |source: std::io::Error| Error::Write { path: path.display().to_string(), source };
    let mut file = tempfile::NamedTempFile::new_in(parent_dir(path)).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    set_readable(file.path()).map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn set_readable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new contents").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new contents");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file may be left behind");
    }

    #[test]
    fn unwritable_paths_are_refused_before_the_run() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable(&dir.path().join("ok.json")).is_ok());
        let message = check_writable(dir.path()).unwrap_err().to_string();
        assert!(message.contains("it is a directory"), "{message}");
        let message = check_writable(&dir.path().join("missing/report.json")).unwrap_err().to_string();
        assert!(message.contains("does not accept new files"), "{message}");
    }
}
