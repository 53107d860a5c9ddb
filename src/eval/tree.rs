//! Judging every entry below a directory (the PKI directory, the CNI
//! configuration directory) as one verdict that names each entry that fails.

use super::{owner_text, Judgement, Verdict};
use crate::eval::operator::{mode_text, Predicate};
use crate::facts::{Facts, FileFact, FileKind, FileStat, Listing};
use crate::outcome::Source;

/// At most this many failing entries are named in `actual`; the rest are counted.
const SHOWN: usize = 10;

pub(super) fn judge_tree(
    facts: &Facts,
    dir: &str,
    suffix: Option<&str>,
    predicate: &Predicate,
    if_exists: bool,
) -> Judgement {
    let scope = match suffix {
        Some(suffix) => format!("every *{suffix} file under {dir}"),
        None => format!("{dir} and every entry under it"),
    };
    let expected = format!("{scope}: {}", predicate.expected("file"));
    let mut judgement = match facts.listings.get(dir) {
        None => Judgement::new(Verdict::Error, expected, format!("{dir} was not collected")),
        Some(Listing::Error { reason }) => Judgement::new(
            Verdict::Error,
            expected,
            format!("{dir} could not be listed: {reason}"),
        ),
        Some(Listing::Missing) if if_exists => {
            Judgement::not_applicable(expected, &format!("directory {dir} does not exist on this host"))
        }
        Some(Listing::Missing) => {
            Judgement::new(Verdict::Fail, expected, format!("directory {dir} does not exist"))
        }
        Some(Listing::Entries { entries }) => {
            let candidates = suffix
                .is_none()
                .then_some(dir)
                .into_iter()
                .chain(entries.iter().map(String::as_str))
                .filter(|path| suffix.is_none_or(|s| path.ends_with(s)));
            judge_entries(facts, candidates, suffix.is_some(), predicate, expected, dir)
        }
    };
    judgement.sources.push(Source::File { path: dir.into() });
    judgement
}

fn judge_entries<'p>(
    facts: &Facts,
    candidates: impl Iterator<Item = &'p str>,
    files_only: bool,
    predicate: &Predicate,
    expected: String,
    dir: &str,
) -> Judgement {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut errors = Vec::new();
    let mut links = Vec::new();
    for path in candidates {
        match facts.files.get(path) {
            None => errors.push(format!("{path} was not collected")),
            Some(FileFact::Error { reason }) => {
                errors.push(format!("{path} could not be examined: {reason}"))
            }
            // Removed between the listing and its stat.
            Some(FileFact::Missing) => {}
            Some(FileFact::Present(stat)) => {
                // A link's own mode is always 777 and means nothing; its
                // target is judged where it lies, if inside the tree.
                let is_mode = matches!(predicate, Predicate::ModeAtMost(_));
                if stat.kind == FileKind::Symlink && is_mode {
                    links.push(path.to_string());
                    continue;
                }
                if files_only && stat.kind != FileKind::File {
                    continue;
                }
                checked += 1;
                if !predicate.test_file(stat) {
                    failures.push(format!("{path}: {}", describe(stat, predicate)));
                }
            }
        }
    }
    let mut judgement = if !failures.is_empty() {
        let mut actual = format!("{} of {checked} fail: ", failures.len());
        actual += &failures.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
        if failures.len() > SHOWN {
            actual += &format!("; and {} more", failures.len() - SHOWN);
        }
        Judgement::new(Verdict::Fail, expected, actual)
    } else if let Some(first) = errors.first() {
        Judgement::new(Verdict::Error, expected, first.clone())
    } else if checked == 0 {
        Judgement::new(Verdict::Pass, expected, format!("no matching file under {dir}"))
    } else {
        Judgement::new(Verdict::Pass, expected, format!("all {checked} comply"))
    };
    if !links.is_empty() {
        judgement.notes.push(format!(
            "symbolic links are not judged by mode: {}",
            links.join(", ")
        ));
    }
    judgement
}

fn describe(stat: &FileStat, predicate: &Predicate) -> String {
    match predicate {
        Predicate::ModeAtMost(_) => format!("permissions {}", mode_text(stat.mode)),
        _ => owner_text(stat, false),
    }
}
