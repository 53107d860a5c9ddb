//! Where a bundle is written: a fresh directory beside DIR
//! (`.DIR.hardbench-XXXXXX`, mode 0700), renamed into DIR's place once the
//! bundle is whole (exchanged with an earlier bundle, which is then
//! removed), so that an interrupted run leaves no bundle or a complete one.
//! DIR must be new, empty, or an earlier bundle: it is replaced whole, so
//! anything else would be lost, and that is refused before any host is
//! contacted.

use super::{BundleError, MANIFEST};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Checks that `dir` may be replaced and creates the working directory
/// beside it (tracked, so that a second signal removes it).
pub fn create_work(dir: &Path) -> Result<PathBuf, BundleError> {
    crate::evidence::work_beside(dir, check_replaceable).map_err(|why| BundleError::NotReplaceable { dir: dir.to_path_buf(), why })
}

/// Puts the whole bundle in `work` in `dir`'s place; either way, `work` is
/// gone afterwards.
pub fn put_in_place(work: &Path, dir: &Path) -> Result<(), BundleError> {
    let result = check_replaceable(dir)
        .map_err(|why| BundleError::NotReplaceable { dir: dir.to_path_buf(), why })
        .and_then(|()| {
            crate::evidence::put_in_place(work, dir).map_err(|source| BundleError::Write { path: dir.to_path_buf(), source })
        });
    let removed = abandon(work);
    result?;
    removed.map_err(|source| BundleError::Write { path: work.to_path_buf(), source })?;
    let parent = crate::output::parent_dir(dir);
    fs::File::open(&parent).and_then(|d| d.sync_all()).map_err(|source| BundleError::Write { path: parent, source })
}

/// Removes the working directory (an unfinished bundle, or after an
/// exchange the earlier one).
pub fn abandon(work: &Path) -> io::Result<()> {
    crate::interrupt::untrack(
        || match fs::remove_dir_all(work) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        },
        work,
    )
}

/// DIR is replaced whole: it must be absent, empty, or hold a bundle.
fn check_replaceable(dir: &Path) -> Result<(), String> {
    let Some(names) = crate::evidence::replaceable_entries(dir)? else { return Ok(()) };
    if names.is_empty() || names.iter().any(|n| n == MANIFEST) {
        return Ok(());
    }
    Err(format!(
        "it holds {:?} and no {MANIFEST}, so it is not an evidence bundle hardbench wrote; the bundle replaces \
         the directory whole, so give a new or empty directory, or one an earlier run wrote",
        names[0].to_string_lossy()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_new_an_empty_or_an_earlier_bundle_is_replaced_and_the_new_one_replaces_it_whole() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("bundle");
        let work = create_work(&dir).unwrap();
        fs::write(work.join(MANIFEST), "first").unwrap();
        put_in_place(&work, &dir).unwrap();
        let work = create_work(&dir).unwrap();
        fs::write(work.join(MANIFEST), "second").unwrap();
        put_in_place(&work, &dir).unwrap();
        assert_eq!(fs::read_to_string(dir.join(MANIFEST)).unwrap(), "second");
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 1, "no working directory is left");

        let home = parent.path().join("home");
        fs::create_dir(&home).unwrap();
        fs::write(home.join("notes.txt"), "mine").unwrap();
        let error = create_work(&home).unwrap_err().to_string();
        assert!(error.contains("it holds \"notes.txt\" and no MANIFEST.sha256"), "{error}");
        let file = parent.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(create_work(&file).unwrap_err().to_string().contains("is not a directory"));
        assert!(create_work(Path::new(".")).is_err());
        assert_eq!(fs::read_dir(parent.path()).unwrap().count(), 3, "nothing was created for a refused DIR");
    }
}
