//! Reading a file of a saved set: regular files only. The file is opened
//! non-blocking, so that a FIFO without a writer (or a device) cannot hang
//! the open, and what was opened is checked with fstat before a byte is
//! read: anything but a regular file is refused by name.

use super::EvidenceError;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

pub fn read(path: &Path) -> Result<Vec<u8>, EvidenceError> {
    let fail = |source| EvidenceError::Read { path: path.to_path_buf(), source };
    let mut file: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(fail)?;
    let metadata = file.metadata().map_err(fail)?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        let kind = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a special file"
        };
        return Err(EvidenceError::NotRegular { path: path.to_path_buf(), kind });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).map_err(fail)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("facts.json");
        std::fs::write(&file, b"{}").unwrap();
        assert_eq!(read(&file).unwrap(), b"{}");

        let fifo = dir.path().join("fifo.json");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        #[track_caller]
        fn refused(path: &Path, kind: &str) {
            match read(path) {
                Err(EvidenceError::NotRegular { kind: got, .. }) => assert_eq!(got, kind),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        // Without a writer, a blocking open of the FIFO would never return.
        refused(&fifo, "a FIFO");
        refused(dir.path(), "a directory");
        refused(Path::new("/dev/null"), "a device");
        let missing = read(&dir.path().join("missing.json")).unwrap_err();
        assert!(matches!(missing, EvidenceError::Read { .. }), "{missing:?}");
    }
}
