//! Where reports go (saved facts: `evidence.rs`). Every output path is checked in full
//! before any host is contacted, and every file is written atomically (a
//! temporary file in the same directory, then a rename), so a reader sees
//! the previous file or the new complete one, never a truncated one.
//!
//! The rules for an output path (`--json`, `--junit`):
//! - `-` is standard output (at most one report may go there);
//! - otherwise it names a file: a new one in an existing directory that
//!   accepts new files, or an existing regular file, which is replaced;
//! - anything else is refused: a directory, a name ending in `/`, a device
//!   (`/dev/null`, `/dev/full`), a FIFO, a socket, a symbolic link whatever
//!   it points to (`/dev/stdout` is one: replacing it would replace the
//!   link, and following it as root would let whoever owns the link choose
//!   the file replaced), a parent that is not a directory, and the same
//!   file named by two flags.

mod text_and_json;
mod writeback;

use crate::interrupt::{self, Publishing};
use std::ffi::OsStr;
use std::fs::{self, FileType};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

pub use text_and_json::{text_and_json, Names};
use writeback::Writeback;

/// Where the console report and messages go, and whether each is a
/// terminal that may show colors.
pub struct Console<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdout_color: bool,
    pub stderr_color: bool,
}

/// Large enough that writing a report of tens of megabytes takes a few
/// hundred system calls, not thousands.
const BUFFER: usize = 64 * 1024;

/// Where one report goes, once its path is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// `-`.
    Stdout,
    /// A regular file, new or replaced.
    File(PathBuf),
}

/// An output path that cannot be used; `flag` is the option that gave it.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{flag} {}: ends with a slash, so it names a directory; give a file name", path.display())]
    TrailingSlash { flag: &'static str, path: PathBuf },
    #[error("{flag} {}: is a directory; give a file name", path.display())]
    Directory { flag: &'static str, path: PathBuf },
    #[error(
        "{flag} {}: is {kind}; only a regular file (or a new one) is written, by replacing it \
         atomically (use - for standard output)",
        path.display()
    )]
    NotRegular { flag: &'static str, path: PathBuf, kind: &'static str },
    #[error(
        "{flag} {}: is a symbolic link (to {target}); name the file itself, or - for standard output",
        path.display()
    )]
    Link { flag: &'static str, path: PathBuf, target: &'static str },
    #[error("{flag} {}: directory {} does not exist", path.display(), dir.display())]
    NoDirectory { flag: &'static str, path: PathBuf, dir: PathBuf },
    #[error("{flag} {}: {} is not a directory", path.display(), dir.display())]
    NotADirectory { flag: &'static str, path: PathBuf, dir: PathBuf },
    #[error("{flag} {}: directory {} does not accept new files ({source})", path.display(), dir.display())]
    NotWritable {
        flag: &'static str,
        path: PathBuf,
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{flag} {}: {source}", path.display())]
    Unreadable {
        flag: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{first} and {second} both write to standard output (-); give one of them a file")]
    BothStdout { first: &'static str, second: &'static str },
    #[error("{first} and {second} both name {}; give each report its own file", path.display())]
    SameFile { first: &'static str, second: &'static str, path: PathBuf },
}

/// A report or file that could not be written after the run.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {what}: {source}")]
pub struct WriteError {
    /// The path, or "standard output".
    pub what: String,
    #[source]
    pub source: io::Error,
}

/// Checks every output path (`(flag, path)`) as the module says, each on
/// its own and against the others, and returns where each report goes.
pub fn check_all(outputs: &[(&'static str, &Path)]) -> Result<Vec<Destination>, OutputError> {
    let mut checked: Vec<(&'static str, Destination, Option<FileIdentity>)> = Vec::new();
    for &(flag, path) in outputs {
        let destination = check(flag, path)?;
        let identity = match &destination {
            Destination::Stdout => None,
            Destination::File(path) => Some(identity(flag, path)?),
        };
        for (first, other, other_identity) in &checked {
            match (&destination, other) {
                (Destination::Stdout, Destination::Stdout) => {
                    return Err(OutputError::BothStdout { first, second: flag })
                }
                (Destination::File(path), Destination::File(_)) if &identity == other_identity => {
                    return Err(OutputError::SameFile { first, second: flag, path: path.clone() })
                }
                _ => {}
            }
        }
        checked.push((flag, destination, identity));
    }
    Ok(checked.into_iter().map(|(_, destination, _)| destination).collect())
}

/// Checks one output path as the module says.
pub fn check(flag: &'static str, path: &Path) -> Result<Destination, OutputError> {
    let bytes = path.as_os_str().as_bytes();
    if bytes == b"-" {
        return Ok(Destination::Stdout);
    }
    let owned = || path.to_path_buf();
    let last = bytes.rsplit(|&b| b == b'/').next().unwrap_or_default();
    if matches!(last, b"" | b"." | b"..") {
        return Err(OutputError::TrailingSlash { flag, path: owned() });
    }
    let dir = parent_dir(path);
    match fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(OutputError::NotADirectory { flag, path: owned(), dir }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(OutputError::NoDirectory { flag, path: owned(), dir })
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
            return Err(OutputError::NotADirectory { flag, path: owned(), dir })
        }
        Err(source) => return Err(OutputError::Unreadable { flag, path: owned(), source }),
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = fs::metadata(path).map_or("nothing that exists", |target| kind(target.file_type()));
            return Err(OutputError::Link { flag, path: owned(), target });
        }
        Ok(meta) if meta.is_file() => {}
        Ok(meta) if meta.is_dir() => return Err(OutputError::Directory { flag, path: owned() }),
        Ok(meta) => return Err(OutputError::NotRegular { flag, path: owned(), kind: kind(meta.file_type()) }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => return Err(OutputError::Unreadable { flag, path: owned(), source }),
    }
    tempfile::NamedTempFile::new_in(&dir)
        .map(drop)
        .map_err(|source| OutputError::NotWritable { flag, path: owned(), dir, source })?;
    Ok(Destination::File(owned()))
}

/// A file type in words, for messages.
fn kind(kind: FileType) -> &'static str {
    if kind.is_file() {
        "a regular file"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a symbolic link"
    }
}

/// What makes two checked file paths the same report file: the directory
/// (resolved) and the name in it.
type FileIdentity = (PathBuf, PathBuf);

fn identity(flag: &'static str, path: &Path) -> Result<FileIdentity, OutputError> {
    let dir = fs::canonicalize(parent_dir(path))
        .map_err(|source| OutputError::Unreadable { flag, path: path.to_path_buf(), source })?;
    let name = path.file_name().map(OsStr::to_os_string).unwrap_or_default();
    Ok((dir, PathBuf::from(name)))
}

/// A report written whole into a temporary file beside its final name,
/// not yet renamed onto it. The temporary file is removed if it is dropped,
/// and by an exit at once on a second signal (`interrupt::track`).
pub struct Staged {
    file: Option<tempfile::NamedTempFile>,
    temp: PathBuf,
    path: PathBuf,
}

/// Writes into a temporary file beside `path` what `write` writes into the
/// buffered file it is given, readable by others (reports hold no secrets,
/// and auditors often collect them as another user). Writers stream into the
/// file instead of building the whole content in memory first; the sink is a
/// concrete type so that a serializer's many small writes are inlined buffer
/// copies.
pub fn stage(path: &Path, write: impl FnOnce(&mut BufWriter<Writeback>) -> io::Result<()>) -> Result<Staged, WriteError> {
    let fail = |source: io::Error| WriteError { what: path.display().to_string(), source };
    let file = interrupt::track(|| {
        let file = tempfile::NamedTempFile::new_in(parent_dir(path))?;
        let temp = file.path().to_path_buf();
        Ok((file, temp))
    })
    .map_err(fail)?;
    let staged = Staged { temp: file.path().to_path_buf(), file: Some(file), path: path.to_path_buf() };
    let file = staged.file.as_ref().expect("just set").as_file();
    let mut sink = BufWriter::with_capacity(BUFFER, Writeback::new(file));
    write(&mut sink).map_err(fail)?;
    sink.into_inner().map_err(|e| fail(e.into_error()))?;
    file.sync_all().map_err(fail)?;
    set_readable(&staged.temp).map_err(fail)?;
    Ok(staged)
}

impl Staged {
    /// The final name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file onto its name, inside `interrupt::publish`.
    pub fn publish(mut self, publishing: &mut Publishing) -> Result<(), WriteError> {
        let file = self.file.take().expect("a staged file is published once");
        let result = file.persist(&self.path).map(drop).map_err(|e| e.error);
        // On failure the temporary file was dropped, and so removed, already.
        publishing.forget(&self.temp);
        result.map_err(|source| WriteError { what: self.path.display().to_string(), source })
    }

    /// Removes the temporary file, inside `interrupt::publish`.
    pub fn discard(mut self, publishing: &mut Publishing) {
        if let Some(file) = self.file.take() {
            let _ = file.close();
        }
        publishing.forget(&self.temp);
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = interrupt::untrack(|| file.close(), &self.temp);
        }
    }
}

/// The directory `path` is in (`.` for a bare name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
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

    /// One report written on its own: staged, then published.
    fn write_atomically(
        path: &Path,
        write: impl FnOnce(&mut BufWriter<Writeback>) -> io::Result<()>,
    ) -> Result<(), WriteError> {
        let staged = stage(path, write)?;
        let mut published = Ok(());
        interrupt::publish(|publishing| {
            published = staged.publish(publishing);
            0
        });
        published
    }

    fn leftovers(dir: &Path) -> usize {
        fs::read_dir(dir).unwrap().count()
    }

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
        assert_eq!(leftovers(dir.path()), 1, "no temporary file may be left behind");
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
        assert!(error.to_string().contains("serializer gave up"), "{error}");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(leftovers(dir.path()), 1, "no temporary file may be left behind");
    }

    #[test]
    fn staged_reports_appear_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (json, xml) = (dir.path().join("r.json"), dir.path().join("r.xml"));
        let a = stage(&json, |out| out.write_all(b"json")).unwrap();
        let b = stage(&xml, |out| out.write_all(b"xml")).unwrap();
        assert_eq!(leftovers(dir.path()), 2, "two temporary files");
        assert!(!json.exists() && !xml.exists());
        let status = interrupt::publish(|publishing| {
            a.publish(publishing).unwrap();
            b.publish(publishing).unwrap();
            7
        });
        assert_eq!(status, 7);
        assert_eq!((fs::read(&json).unwrap(), fs::read(&xml).unwrap()), (b"json".to_vec(), b"xml".to_vec()));
        assert_eq!(leftovers(dir.path()), 2, "the two reports only");

        // Dropped or discarded: the temporary file goes, the report stays.
        drop(stage(&json, |out| out.write_all(b"dropped")).unwrap());
        let c = stage(&xml, |out| out.write_all(b"discarded")).unwrap();
        interrupt::publish(|publishing| {
            c.discard(publishing);
            0
        });
        assert_eq!((fs::read(&json).unwrap(), fs::read(&xml).unwrap()), (b"json".to_vec(), b"xml".to_vec()));
        assert_eq!(leftovers(dir.path()), 2, "no temporary file may be left behind");
    }

    /// One output path against the rules of the module: `Ok(true)` when it
    /// is a file, `Ok(false)` for standard output, or the error's text.
    #[track_caller]
    fn case(path: &Path, expected: Result<bool, &str>) {
        let got = check("--json", path).map(|d| d != Destination::Stdout).map_err(|e| e.to_string());
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{}", path.display()),
            (Err(got), Err(expected)) => assert!(got.contains(expected), "{}: {got}", path.display()),
            (got, expected) => panic!("{}: {got:?}, expected {expected:?}", path.display()),
        }
    }

    #[test]
    fn only_new_paths_and_regular_files_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("old.json"), "old").unwrap();
        fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(d.join("old.json"), d.join("link.json")).unwrap();
        std::os::unix::fs::symlink("/dev/null", d.join("null.json")).unwrap();
        std::os::unix::fs::symlink(d.join("sub"), d.join("subdir.json")).unwrap();
        std::os::unix::fs::symlink(d.join("nothing"), d.join("dangling.json")).unwrap();
        nix_mkfifo(&d.join("fifo.json"));
        let socket = std::os::unix::net::UnixListener::bind(d.join("socket.json")).unwrap();

        case(Path::new("-"), Ok(false));
        case(&d.join("new.json"), Ok(true));
        case(&d.join("old.json"), Ok(true));
        case(&d.join("link.json"), Err("is a symbolic link (to a regular file); name the file itself"));
        case(&d.join("sub/new.json"), Ok(true));
        case(Path::new("/dev/null"), Err("is a character device; only a regular file"));
        case(Path::new("/dev/full"), Err("is a character device"));
        case(Path::new("/dev/stdout"), Err("is a symbolic link (to "));
        case(&d.join("null.json"), Err("is a symbolic link (to a character device)"));
        case(&d.join("fifo.json"), Err("is a FIFO"));
        case(&d.join("socket.json"), Err("is a socket"));
        case(&d.join("sub"), Err("is a directory"));
        case(&d.join("subdir.json"), Err("is a symbolic link (to a directory)"));
        case(&d.join("dangling.json"), Err("is a symbolic link (to nothing that exists)"));
        case(&d.join("new.json/"), Err("ends with a slash"));
        case(&d.join("sub/"), Err("ends with a slash"));
        case(&d.join("sub/."), Err("ends with a slash"));
        case(&d.join("sub/.."), Err("ends with a slash"));
        case(Path::new("/"), Err("ends with a slash"));
        case(&d.join("old.json/report.json"), Err("old.json is not a directory"));
        case(&d.join("missing/report.json"), Err("missing does not exist"));
        case(&d.join("old.json/deeper/report.json"), Err("is not a directory"));
        drop(socket);
    }

    fn nix_mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn a_directory_that_refuses_new_files_is_refused() {
        // As root, permissions do not stop a write; a read-only mount does.
        let message = check("--junit", Path::new("/proc/report.xml")).unwrap_err().to_string();
        assert!(message.contains("--junit /proc/report.xml: directory /proc does not accept new files"), "{message}");
    }

    #[test]
    fn two_reports_never_share_a_destination() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("sub")).unwrap();
        let (a, b) = (d.join("a.json"), d.join("sub/../a.json"));
        #[track_caller]
        fn refused(outputs: &[(&'static str, &Path)], expected: &str) {
            let message = check_all(outputs).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
        refused(&[("--json", &a), ("--junit", &a)], "--json and --junit both name");
        refused(&[("--json", &a), ("--junit", &b)], "--json and --junit both name");
        refused(&[("--json", Path::new("-")), ("--junit", Path::new("-"))], "both write to standard output");
        let ok = check_all(&[("--json", Path::new("-")), ("--junit", &d.join("a.xml"))]).unwrap();
        assert_eq!(ok, [Destination::Stdout, Destination::File(d.join("a.xml"))]);
    }
}
