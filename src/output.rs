//! Where reports and saved facts go. Paths are checked before any host is
//! contacted, and every file is written atomically (a temporary file in the
//! same directory, then a rename), so a reader sees the previous file or the
//! new complete one, never a truncated one.

use crate::error::Error;
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// Large enough that writing a report of tens of megabytes takes a few
/// hundred system calls, not thousands.
const BUFFER: usize = 64 * 1024;

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

/// Writes to `path` atomically what `write` writes into the buffered file it
/// is given, readable by others (reports hold no secrets, and auditors often
/// collect them as another user). Writers stream into the file instead of
/// building the whole content in memory first; the sink is a concrete type
/// so that a serializer's many small writes are inlined buffer copies.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> Result<(), Error> {
    let fail = |source: io::Error| Error::Write { path: path.display().to_string(), source };
    let file = tempfile::NamedTempFile::new_in(parent_dir(path)).map_err(fail)?;
    let mut sink = BufWriter::with_capacity(BUFFER, file.as_file());
    write(&mut sink).map_err(fail)?;
    sink.into_inner().map_err(|e| fail(e.into_error()))?;
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

fn set_readable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn atomic_write_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomically(&path, |out| out.write_all(b"old")).unwrap();
        write_atomically(&path, |out| {
            out.write_all(b"new ")?;
            out.write_all(b"contents")
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new contents");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file may be left behind");
    }

    #[test]
    fn everything_buffered_reaches_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        // More than the buffer holds, in pieces smaller than it.
        let line = b"0123456789abcdef\n";
        let lines = 3 * BUFFER / line.len() + 1;
        write_atomically(&path, |out| (0..lines).try_for_each(|_| out.write_all(line))).unwrap();
        assert_eq!(fs::read(&path).unwrap(), line.repeat(lines));
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomically(&path, |out| out.write_all(b"old")).unwrap();
        let error = write_atomically(&path, |out| {
            out.write_all(b"partial")?;
            Err(io::Error::other("serializer gave up"))
        })
        .unwrap_err();
        assert!(matches!(error, Error::Write { .. }), "{error}");
        assert!(error.to_string().contains("serializer gave up"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
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
