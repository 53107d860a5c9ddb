//! Which checks a run evaluates and which it reports as skipped, from
//! `--check`, `--skip` and `--level`. Pure. A pattern is a check id
//! (`1.2.15`) or a section prefix (`1.2`, `4.2.*`); a pattern that matches
//! no check of any benchmark the run may use is an error, so a typo cannot
//! silently select nothing. `--level 1` leaves the Level 2 checks out;
//! Level 2 is every check, as the CIS profiles are defined.

use crate::benchmark::{Benchmark, Check, Level};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The id or section, without a trailing `.*`.
    stem: String,
}

impl Pattern {
    /// `None` when `text` is not a check id or section.
    pub fn parse(text: &str) -> Option<Pattern> {
        let stem = text.trim().strip_suffix(".*").unwrap_or(text.trim());
        let valid = !stem.is_empty()
            && stem.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        valid.then(|| Pattern { stem: stem.to_string() })
    }

    pub fn matches(&self, id: &str) -> bool {
        id == self.stem || id.strip_prefix(self.stem.as_str()).is_some_and(|rest| rest.starts_with('.'))
    }
}

/// What to do with one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Evaluate,
    Skip,
    /// Not selected by `--check`: left out of the report.
    Omit,
}

/// A `--check` or `--skip` pattern that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("{flag} {text:?} is not a check id or section (expected e.g. 1.2.15, 1.2 or 4.2.*)")]
    NotAPattern { flag: &'static str, text: String },
    /// `benchmarks`: the ids of the benchmarks the run may use.
    #[error("{flag} {text}: no check of {benchmarks} has this id or section")]
    NoSuchCheck { flag: &'static str, text: String, benchmarks: String },
}

/// Every problem of `--check` and `--skip`, in command-line order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct SelectionErrors(pub Vec<SelectionError>);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    only: Vec<Pattern>,
    skip: Vec<Pattern>,
    /// `--level`: the highest profile level selected; `None` selects all.
    level: Option<Level>,
}

impl Selection {
    /// Parses and validates `--check` and `--skip` against one benchmark,
    /// returning every problem at once.
    pub fn new(
        benchmark: &Benchmark,
        only: &[String],
        skip: &[String],
        level: Option<Level>,
    ) -> Result<Selection, SelectionErrors> {
        Selection::for_candidates(std::slice::from_ref(benchmark), only, skip, level)
    }

    /// The same for a run that may use any of `benchmarks` (`--benchmark
    /// auto`): a pattern must name a check of at least one of them, since
    /// a check a later version added (1.2.30) is a fair thing to ask for.
    pub fn for_candidates(
        benchmarks: &[Benchmark],
        only: &[String],
        skip: &[String],
        level: Option<Level>,
    ) -> Result<Selection, SelectionErrors> {
        let mut errors = Vec::new();
        let mut parse_all = |flag: &'static str, texts: &[String]| -> Vec<Pattern> {
            let mut patterns = Vec::new();
            for text in texts {
                match Pattern::parse(text) {
                    Some(pattern) if benchmarks.iter().flat_map(|b| &b.checks).any(|c| pattern.matches(&c.id)) => {
                        patterns.push(pattern)
                    }
                    Some(_) => errors.push(SelectionError::NoSuchCheck {
                        flag,
                        text: text.clone(),
                        benchmarks: benchmarks.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", "),
                    }),
                    None => errors.push(SelectionError::NotAPattern { flag, text: text.clone() }),
                }
            }
            patterns
        };
        let only = parse_all("--check", only);
        let skip = parse_all("--skip", skip);
        if errors.is_empty() {
            Ok(Selection { only, skip, level })
        } else {
            Err(SelectionErrors(errors))
        }
    }

    pub fn disposition(&self, check: &Check) -> Disposition {
        let id = &*check.id;
        let above_level = self.level.is_some_and(|level| check.level > level);
        if above_level || (!self.only.is_empty() && !self.only.iter().any(|p| p.matches(id))) {
            Disposition::Omit
        } else if self.skip.iter().any(|p| p.matches(id)) {
            Disposition::Skip
        } else {
            Disposition::Evaluate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(pattern: &str, id: &str, expected: bool) {
        assert_eq!(Pattern::parse(pattern).unwrap().matches(id), expected, "{pattern} vs {id}");
    }

    #[test]
    fn patterns_match_ids_and_sections_without_prefix_collisions() {
        case("1.2.15", "1.2.15", true);
        case("1.2", "1.2.15", true);
        case("1.2.*", "1.2.15", true);
        case("1", "1.2.15", true);
        case("1.2.1", "1.2.15", false);
        case("1.2.1", "1.2.1", true);
        case("2", "2.1", true);
        case("2", "1.2.1", false);
        case("4.2", "4.1.2", false);
    }

    #[test]
    fn malformed_patterns_are_rejected() {
        for text in ["", "1..2", "a.b", "1.2.", "*", "1.2.**", "1 2"] {
            assert!(Pattern::parse(text).is_none(), "{text:?} should be rejected");
        }
    }
}
