//! `--shard I/N`: a deterministic share of the hosts, so that N audits
//! (one per pod of a Kubernetes Indexed Job, one per bastion) cover the
//! inventory exactly once between them, and `hardbench merge` can join
//! their reports.
//!
//! A host belongs to shard `h mod N`, where `h` is the first 8 bytes of the
//! SHA-256 of its inventory name, read big-endian. The share depends on the
//! host's name alone: adding or removing other hosts never moves a host to
//! another shard (changing N does). Indexes count from 0, as Kubernetes'
//! `JOB_COMPLETION_INDEX` does, so that `--shard $(JOB_COMPLETION_INDEX)/N`
//! needs no arithmetic.

use sha2::{Digest, Sha256};
use std::fmt;

/// Shard `index` of `count` (`index < count`). Serialized as
/// `{"index", "count"}` in a saved-facts index; check one read back with
/// `Shard::new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// The largest N accepted: far more shards than any scheduler runs pods
/// for one audit, and small enough that a typo (`--shard 3/30000000`) is
/// named rather than run as millions of empty shards.
pub const MAX_COUNT: u32 = 10_000;

impl Shard {
    /// Reads `I/N` (decimal, `0 <= I < N <= MAX_COUNT`); the error says what
    /// is wrong in words, for clap to put after the flag's name.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let Some((index, count)) = text.split_once('/') else {
            return Err(format!("expected I/N, shard I of N counting from 0 (e.g. 0/3), not {text:?}"));
        };
        let number = |what: &str, digits: &str| {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{what} {digits:?} is not a decimal number (expected I/N, e.g. 0/3)"));
            }
            digits.parse::<u32>().map_err(|_| format!("{what} {digits} is too large (N is at most {MAX_COUNT})"))
        };
        Shard::new(number("I", index)?, number("N", count)?)
    }

    /// Shard `index` of `count`, when `0 <= index < count <= MAX_COUNT`.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_COUNT {
            return Err(format!("N is {count}: the number of shards is between 1 and {MAX_COUNT}"));
        }
        if index >= count {
            return Err(format!(
                "I is {index}, but shards of {count} are numbered 0 to {} (as JOB_COMPLETION_INDEX is)",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard of `count` that the host named `name` belongs to.
    pub fn of(name: &str, count: u32) -> u32 {
        let digest = Sha256::digest(name.as_bytes());
        let head = u64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"));
        u32::try_from(head % u64::from(count)).expect("below count, a u32")
    }

    /// Whether the host named `name` is in this shard.
    pub fn holds(&self, name: &str) -> bool {
        Shard::of(name, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_is_read_as_i_of_n_counting_from_zero() {
        let ok = |text: &str, index, count| assert_eq!(Shard::parse(text), Ok(Shard { index, count }), "{text}");
        ok("0/1", 0, 1);
        ok("0/3", 0, 3);
        ok("2/3", 2, 3);
        ok("9999/10000", 9999, 10000);
        ok("007/8", 7, 8);
        let refused = |text: &str, why: &str| {
            let error = Shard::parse(text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        };
        refused("3/3", "I is 3, but shards of 3 are numbered 0 to 2");
        refused("1/1", "numbered 0 to 0");
        refused("0/0", "N is 0");
        refused("0/10001", "between 1 and 10000");
        refused("0/99999999999", "N 99999999999 is too large");
        refused("3", "expected I/N");
        refused("", "expected I/N");
        refused("-1/3", "I \"-1\" is not a decimal number");
        refused("+1/3", "I \"+1\" is not a decimal number");
        refused("1/ 3", "N \" 3\" is not a decimal number");
        refused("/3", "I \"\" is not");
        refused("1/3/4", "N \"3/4\" is not");
        // An unexpanded `$(JOB_COMPLETION_INDEX)` (no Indexed Job) is named as such.
        refused("$(JOB_COMPLETION_INDEX)/3", "I \"$(JOB_COMPLETION_INDEX)\" is not a decimal number");
        assert_eq!(Shard { index: 2, count: 5 }.to_string(), "2/5");
    }

    /// The hash is part of the interface: shards written by one version
    /// must be the shards of the next. These values are
    /// `sha256(name)[..8] mod N`, computed independently with
    /// `printf %s NAME | sha256sum`.
    #[test]
    fn the_shard_of_a_name_is_the_first_eight_bytes_of_its_sha256_mod_n() {
        let head = |hex: &str| u64::from_str_radix(hex, 16).unwrap();
        for (name, first8) in [("", "e3b0c44298fc1c14"), ("abc", "ba7816bf8f01cfea")] {
            for count in [1, 2, 3, 7, 10, 10_000] {
                assert_eq!(u64::from(Shard::of(name, count)), head(first8) % u64::from(count), "{name:?} of {count}");
            }
        }
    }

    /// Every host is in exactly one shard, and hosts spread evenly over
    /// the shards. (A host keeps its shard when others come and go: `of`
    /// reads nothing but the name and N.)
    #[test]
    fn every_host_is_in_exactly_one_shard_whatever_the_other_hosts() {
        let names: Vec<String> = (0..3000).map(|i| format!("node-{i:04}.example")).collect();
        for count in [1u32, 2, 3, 8] {
            let mut sizes = vec![0usize; count as usize];
            for name in &names {
                let holders: Vec<u32> =
                    (0..count).filter(|&index| Shard { index, count }.holds(name)).collect();
                assert_eq!(holders.len(), 1, "{name} of {count}");
                sizes[holders[0] as usize] += 1;
            }
            let fair = names.len() / count as usize;
            for size in sizes {
                assert!(size.abs_diff(fair) < fair / 5 + 10, "{count} shards: {size} hosts, about {fair} expected");
            }
        }
    }
}
