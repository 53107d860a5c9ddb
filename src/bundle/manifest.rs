//! `MANIFEST.sha256`: every file of the bundle but the manifest and its
//! signature, with its sha256, one per line in the format `sha256sum`
//! writes and `sha256sum -c` reads (`<hex>  <path>`), paths relative to the
//! bundle, sorted, so that the same files give the same bytes.

use super::{MANIFEST, SIGNATURE};
use crate::digest::sha256_hex;
use std::collections::BTreeMap;
use std::path::Path;

/// Relative path (with `/`) to sha256 (lower-case hex).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest(pub BTreeMap<String, String>);

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: a symbolic link, a FIFO or a device is not bundle content")]
    NotRegular { path: String },
    #[error("{MANIFEST} line {line}: {why}")]
    Line { line: usize, why: String },
}

impl Manifest {
    /// Every regular file below `dir` but the manifest and its signature,
    /// hashed. Anything else (a link, a FIFO) is refused, not followed.
    pub fn of_dir(dir: &Path) -> Result<Manifest, ManifestError> {
        let mut files = BTreeMap::new();
        walk(dir, "", &mut files)?;
        Ok(Manifest(files))
    }

    /// The text of `MANIFEST.sha256`.
    pub fn render(&self) -> String {
        self.0.iter().map(|(path, sha256)| format!("{sha256}  {path}\n")).collect()
    }

    /// Reads the text of `MANIFEST.sha256`: each line a sha256 in hex, two
    /// spaces (or a space and `*`, binary mode), and a relative path that
    /// stays inside the bundle.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let mut files = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let bad = |why: &str| ManifestError::Line { line: n + 1, why: why.to_string() };
            let (sha256, rest) = line.split_at_checked(64).ok_or_else(|| bad("not `<sha256>  <path>`"))?;
            let path = rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *")).ok_or_else(|| bad("not `<sha256>  <path>`"))?;
            if !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("not a sha256 in hex"));
            }
            let inside = !path.is_empty() && !path.starts_with('/') && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
            if !inside {
                return Err(bad(&format!("{path:?} is not a path inside the bundle")));
            }
            if path == MANIFEST || path == SIGNATURE {
                return Err(bad(&format!("{path} cannot list itself or its signature")));
            }
            if files.insert(path.to_string(), sha256.to_ascii_lowercase()).is_some() {
                return Err(bad(&format!("{path} is listed twice")));
            }
        }
        Ok(Manifest(files))
    }
}

fn walk(dir: &Path, prefix: &str, files: &mut BTreeMap<String, String>) -> Result<(), ManifestError> {
    let read = |path: &Path| {
        let path = path.display().to_string();
        move |source| ManifestError::Read { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(read(dir))? {
        let entry = entry.map_err(read(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        if prefix.is_empty() && (name == MANIFEST || name == SIGNATURE) {
            continue;
        }
        let kind = entry.file_type().map_err(read(&entry.path()))?;
        if kind.is_dir() {
            walk(&entry.path(), &format!("{relative}/"), files)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(entry.path()).map_err(read(&entry.path()))?;
            files.insert(relative, sha256_hex(&bytes));
        } else {
            return Err(ManifestError::NotRegular { path: relative });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_what_it_renders_and_refuses_what_sha256sum_would_not_check_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("facts")).unwrap();
        std::fs::write(dir.path().join("facts/a.json"), "a").unwrap();
        std::fs::write(dir.path().join("run.json"), "").unwrap();
        std::fs::write(dir.path().join(MANIFEST), "old").unwrap();
        let manifest = Manifest::of_dir(dir.path()).unwrap();
        let text = manifest.render();
        assert_eq!(
            text,
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  facts/a.json\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  run.json\n"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), manifest);
        let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        for (line, why) in [
            (format!("{sha}  ../etc/passwd"), "is not a path inside the bundle"),
            (format!("{sha}  /etc/passwd"), "is not a path inside the bundle"),
            (format!("{sha} run.json"), "not `<sha256>  <path>`"),
            (format!("{}  run.json", "g".repeat(64)), "not a sha256 in hex"),
            (format!("{sha}  {MANIFEST}"), "cannot list itself"),
            (format!("{sha}  a\n{sha}  a"), "line 2: a is listed twice"),
        ] {
            let error = Manifest::parse(&line).unwrap_err().to_string();
            assert!(error.contains(why), "{line}: {error}");
        }
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        assert!(matches!(Manifest::of_dir(dir.path()), Err(ManifestError::NotRegular { path }) if path == "link"));
    }
}
