//! The file name of a host's saved facts. Host names are free text in the
//! inventory (300 characters, `/`, `..`, control characters, names that
//! differ only in case); file names must be safe on any file system, unique
//! within a set even where case does not count, and bounded.
//!
//! A name made only of lower-case ASCII letters, digits, `.` and `-`, not
//! starting with `.`, and at most 64 bytes long is kept: `cp-1.json`. Any
//! other name becomes a readable stem (its first 32 characters, lower-cased,
//! every other character `-`) and `_` and 32 hex digits of the SHA-256 of
//! the name: `cp-1-_3f1c….json`. Kept names are distinct (host names are)
//! and have no `_`; derived names are distinct unless SHA-256 collides; the
//! two kinds never meet. Every name is at most 70 bytes and never starts
//! with `.` or `_` (`_` names belong to the set itself, like `_index.json`).

use sha2::{Digest, Sha256};

const MAX_KEPT: usize = 64;
const STEM_CHARS: usize = 32;
const DIGEST_BYTES: usize = 16;

fn kept(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'-'
}

/// The file name (`….json`) that holds `host`'s saved facts.
pub fn for_host(host: &str) -> String {
    if !host.is_empty() && host.len() <= MAX_KEPT && !host.starts_with('.') && host.bytes().all(kept) {
        return format!("{host}.json");
    }
    let mut stem: String = host
        .chars()
        .take(STEM_CHARS)
        .map(|c| match u8::try_from(c.to_ascii_lowercase()) {
            Ok(b) if kept(b) => char::from(b),
            _ => '-',
        })
        .collect();
    if stem.is_empty() || stem.starts_with('.') {
        stem.replace_range(..stem.len().min(1), "-");
    }
    let digest = Sha256::digest(host.as_bytes());
    let hex = crate::digest::hex(&digest[..DIGEST_BYTES]);
    format!("{stem}_{hex}.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[track_caller]
    fn kept_as(host: &str, file: &str) {
        assert_eq!(for_host(host), file);
    }

    #[track_caller]
    fn derived(host: &str, stem: &str) {
        let file = for_host(host);
        let (got_stem, rest) = file.rsplit_once('_').unwrap_or_else(|| panic!("{file:?} has no digest"));
        assert_eq!(got_stem, stem, "{host:?} -> {file:?}");
        let hex = rest.strip_suffix(".json").expect("ends with .json");
        assert_eq!(hex.len(), 2 * DIGEST_BYTES, "{file:?}");
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{file:?}");
    }

    #[test]
    fn plain_names_are_kept() {
        kept_as("cp-1", "cp-1.json");
        kept_as("worker-good", "worker-good.json");
        kept_as("node1.example.com", "node1.example.com.json");
        kept_as("a..b", "a..b.json");
        kept_as(&"a".repeat(64), &format!("{}.json", "a".repeat(64)));
    }

    #[test]
    fn other_names_get_a_readable_stem_and_a_digest() {
        derived("Cp-1", "cp-1");
        derived("cp_1", "cp-1");
        derived("a/b", "a-b");
        derived("../../etc/passwd", "-.-..-etc-passwd");
        derived("..", "-.");
        derived(".hidden", "-hidden");
        derived("", "-");
        derived("tab\there", "tab-here");
        derived("bell\u{7}\u{1b}[31m", "bell---31m");
        derived("nœud-1", "n-ud-1");
        derived("_index", "-index");
        derived(&"a".repeat(65), &"a".repeat(32));
        derived(&"é".repeat(300), &"-".repeat(32));
    }

    #[test]
    fn names_are_bounded_safe_and_unique_even_where_case_does_not_count() {
        let hosts = [
            "cp-1", "CP-1", "Cp-1", "cp_1", "cp/1", "cp\\1", "cp 1", "cp-1_", "..", ".", "/", "", "_index",
            "index", "a\0b", "a\nb", "a\u{7f}b", "aé", "ae", "AE",
        ];
        let long: Vec<String> = (0..3).map(|i| format!("{}{i}", "x".repeat(300))).collect();
        let mut seen = BTreeSet::new();
        for host in hosts.iter().copied().chain(long.iter().map(String::as_str)) {
            let file = for_host(host);
            assert!(file.len() <= 70, "{host:?} -> {file:?}");
            assert!(file.ends_with(".json"), "{file:?}");
            assert!(!file.starts_with('.') && !file.starts_with('_'), "{file:?}");
            assert!(file.bytes().all(|b| kept(b) || b == b'_'), "{host:?} -> {file:?}");
            assert!(seen.insert(file.to_ascii_lowercase()), "{host:?} -> {file:?} is taken");
        }
    }
}
