//! What was run, as the report records it: the command, what it selected,
//! the input files (with their sha256, so that a report names the exact
//! inventory, waivers and attestations it was made with), and who ran it
//! where. Data only; `run.rs` fills it in.

use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invocation {
    /// `run` or `evaluate`.
    pub command: String,
    /// `--benchmark` as given (`auto`, an id or a path).
    pub benchmark: String,
    pub level: Option<u8>,
    pub check: Vec<String>,
    pub skip: Vec<String>,
    /// `--limit` (run only).
    pub limit: Vec<String>,
    pub inventory: Option<InputFile>,
    /// `--facts` (evaluate only).
    pub facts: Option<String>,
    pub waivers: Option<InputFile>,
    pub attestations: Option<InputFile>,
    /// The user hardbench ran as, and the name of the machine it ran on.
    pub user: String,
    pub machine: String,
    /// `--shard I/N`: the report covers that share of the hosts only.
    pub shard: Option<crate::shard::Shard>,
    /// The reports `hardbench merge` joined into this one, in the order given.
    pub merged: Vec<InputFile>,
}

/// An input file as read: its path as given and the sha256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

impl InputFile {
    /// The file's path and the sha256 of `bytes`, the content that was read.
    pub fn of(path: &Path, bytes: &[u8]) -> InputFile {
        InputFile { path: path.display().to_string(), sha256: crate::digest::sha256_hex(bytes) }
    }
}

/// The name of the user this process runs as (its real uid's passwd
/// entry), or the uid when it has none.
pub fn current_user() -> String {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pwd = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut result = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; buf outlives the read of pw_name.
    let rc = unsafe { libc::getpwuid_r(uid, pwd.as_mut_ptr(), buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc == 0 && !result.is_null() {
        // SAFETY: getpwuid_r succeeded: pw_name points to a C string in buf.
        let name = unsafe { std::ffi::CStr::from_ptr((*result).pw_name) };
        return name.to_string_lossy().into_owned();
    }
    uid.to_string()
}

/// This machine's host name (`uname -n`).
pub fn machine_name() -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: buf is valid for its length; the result is NUL-terminated on success.
    if unsafe { libc::gethostname(buf.as_mut_ptr(), buf.len()) } == 0 {
        // SAFETY: gethostname wrote a NUL-terminated string into buf.
        return unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_file_is_named_with_the_sha256_of_what_was_read() {
        let file = InputFile::of(Path::new("waivers.toml"), b"abc");
        assert_eq!(file.path, "waivers.toml");
        assert_eq!(file.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn the_user_and_machine_are_those_of_this_process() {
        let id = std::process::Command::new("id").arg("-un").output().unwrap();
        assert_eq!(current_user(), String::from_utf8(id.stdout).unwrap().trim());
        let uname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(machine_name(), uname.trim());
    }
}
