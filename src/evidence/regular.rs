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
    // One read of one byte more than fstat's size: a read of a regular
    // file returns less than asked only at its end, so a read of exactly
    // that size got the whole file, without the second read (and the
    // fstat and lseek) that `read_to_end` spends to find the end. A file
    // that changed size meanwhile is read on to its end.
    let size = usize::try_from(metadata.len()).unwrap_or(0);
    let mut bytes = vec![0; size.saturating_add(1)];
    let read = loop {
        match file.read(&mut bytes) {
            Ok(read) => break read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(fail(error)),
        }
    };
    bytes.truncate(read);
    if read != size {
        file.read_to_end(&mut bytes).map_err(fail)?;
    }
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
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(read(&empty).unwrap(), b"");
        let large: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &large).unwrap();
        assert_eq!(read(&file).unwrap(), large);
        // fstat gives a size of 0 for /proc files: read on to the end.
        let cmdline = Path::new("/proc/self/cmdline");
        assert!(!read(cmdline).unwrap().is_empty());
        assert_eq!(read(cmdline).unwrap(), std::fs::read(cmdline).unwrap());

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
