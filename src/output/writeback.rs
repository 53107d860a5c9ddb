//! The file a staged output is written into, handing each finished stretch
//! of it to the disk while the rest is still being written.
//!
//! Every output is made durable (`sync_all`) before it is renamed onto its
//! name. Left to itself the kernel writes a new file back only when that
//! sync asks for it, so the process waits there for the whole file: about
//! as long as a large JSON report takes to serialize. Starting the write of
//! each stretch as soon as it is complete (`sync_file_range` with
//! `SYNC_FILE_RANGE_WRITE`, which only starts it) overlaps the disk with
//! the serializing, and the final sync waits for the last stretch only.
//! The final sync is what makes the file durable; this only moves work
//! earlier, so an error here is ignored and left for the sync to report.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;

/// How much is written before its writeback is started: large enough that
/// a small report makes no extra system call, small enough that the sync
/// at the end has little left to wait for.
const STRETCH: u64 = 1 << 20;

pub struct Writeback<'f> {
    file: &'f File,
    /// Bytes written so far.
    written: u64,
    /// Where the stretch not yet handed to the disk starts.
    started: u64,
}

impl<'f> Writeback<'f> {
    pub fn new(file: &'f File) -> Self {
        Writeback { file, written: 0, started: 0 }
    }

    /// How many bytes have been handed to the disk so far.
    #[cfg(test)]
    fn started(&self) -> u64 {
        self.started
    }
}

impl Write for Writeback<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.file.write(bytes)?;
        self.written += n as u64;
        if self.written - self.started >= STRETCH {
            let (offset, length) = (self.started as libc::off64_t, (self.written - self.started) as libc::off64_t);
            // SAFETY: a plain system call on a descriptor `self.file` keeps open.
            unsafe { libc::sync_file_range(self.file.as_raw_fd(), offset, length, libc::SYNC_FILE_RANGE_WRITE) };
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn every_byte_arrives_and_finished_stretches_are_handed_over() {
        let mut file = tempfile::tempfile().unwrap();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        {
            let mut out = Writeback::new(&file);
            for _ in 0..4 {
                out.write_all(&chunk).unwrap();
            }
            // 1,200,000 bytes: one stretch of a MiB or more was started.
            assert_eq!(out.started(), 1_200_000);
            out.write_all(b"tail").unwrap();
            assert_eq!(out.started(), 1_200_000, "a short tail waits for the final sync");
        }
        let mut back = Vec::new();
        use std::io::Seek;
        file.rewind().unwrap();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back.len(), 1_200_004);
        assert!(back.starts_with(&chunk) && back.ends_with(b"tail"));
    }
}
