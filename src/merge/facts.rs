//! `hardbench merge --facts DIR... --save-facts OUT`: the shards' saved
//! sets (`run --shard I/N --save-facts DIR`) joined into one set that
//! `evaluate --facts OUT` reads as a run over every host.
//!
//! Each set is opened and checked as `evaluate` checks it (`SavedSet`); the
//! sets must be the shards of one split (`shards.rs`) of one inventory (the
//! sha256 each index records), saved by the same hardbench, with no host
//! twice and every host in its set's shard. The hosts' files are copied
//! byte for byte (their digests stay those the shards' indexes recorded) in
//! shard order into a new set, written and put in place as a run writes its
//! own (`evidence::Staging`): OUT is replaced whole or left as it was. The
//! new index records the inventory, no shard, and the earliest start.

use super::MergeError;
use crate::error::Error;
use crate::evidence::{HostStatus, Origin, SavedSet, Staging};
use crate::shard::Shard;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Writes the merged set into `out` and returns how many hosts it records.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize, Error> {
    for dir in dirs {
        if same_dir(dir, out) {
            return Err(MergeError::OutputIsInput { path: out.to_path_buf() }.into());
        }
    }
    let sets = dirs.iter().map(|dir| SavedSet::open(dir)).collect::<Result<Vec<_>, _>>()?;
    let order = check(&sets)?;
    let earliest = sets
        .iter()
        .filter_map(|set| chrono::DateTime::parse_from_rfc3339(&set.index().started_at).ok())
        .min()
        .unwrap_or_else(|| chrono::Local::now().fixed_offset());
    let staging = Staging::create(out, earliest)?;
    staging.record_origin(Origin { inventory: sets[0].index().inventory.clone(), shard: None });
    let mut records = Vec::new();
    for &position in &order {
        let set = &sets[position];
        for record in set.records() {
            records.push(match &record.status {
                HostStatus::Ok { file, sha256 } => {
                    set.read_saved(file, sha256).and_then(|bytes| staging.adopt(record.clone(), &bytes))
                }
                HostStatus::Error { .. } => Ok(record.clone()),
            });
        }
    }
    let hosts = records.len();
    staging.commit(records)?;
    Ok(hosts)
}

/// The sets' positions in shard order, once they are the shards of one
/// audit with every host once and in its own shard.
fn check(sets: &[SavedSet]) -> Result<Vec<usize>, MergeError> {
    let shards: Vec<(&Path, Option<Shard>)> = sets.iter().map(|set| (set.dir(), set.index().shard)).collect();
    let order = super::shards::order(&shards)?;
    let first = &sets[order[0]];
    let digest = |set: &SavedSet| set.index().inventory.as_ref().map_or("none".to_string(), |f| format!("sha256 {}", f.sha256));
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for &position in &order {
        let set = &sets[position];
        for (what, first_value, other_value) in [
            ("inventories", digest(first), digest(set)),
            ("hardbench versions", first.index().hardbench_version.clone(), set.index().hardbench_version.clone()),
        ] {
            if first_value != other_value {
                let (first, other) = (first.dir().to_path_buf(), set.dir().to_path_buf());
                return Err(MergeError::Differs { what, first, first_value, other, other_value });
            }
        }
        let shard = set.index().shard.expect("checked by shards::order");
        for record in set.records() {
            if !shard.holds(&record.host) {
                let actual = Shard::of(&record.host, shard.count);
                return Err(MergeError::HostNotInShard { path: set.dir().to_path_buf(), host: record.host.clone(), shard, actual });
            }
            if let Some(earlier) = seen.insert(&record.host, set.dir()) {
                let (first, second) = (earlier.to_path_buf(), set.dir().to_path_buf());
                return Err(MergeError::HostTwice { host: record.host.clone(), first, second });
            }
        }
    }
    Ok(order)
}

/// Whether two paths name one existing directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::HostIdentity;
    use crate::facts::Facts;
    use crate::gather::Gathering;
    use crate::outcome::InputFile;
    use crate::transport::{HostError, HostErrorKind};
    use std::time::Duration;

    fn name_in(stem: &str, shard: Shard) -> String {
        (0..).map(|i| format!("{stem}-{i}")).find(|name| shard.holds(name)).unwrap()
    }

    fn identity(name: &str) -> HostIdentity {
        HostIdentity { name: name.into(), address: "192.0.2.7".into(), port: 22, user: "audit".into(), sudo: true, roles: None }
    }

    fn gathering(hostname: Option<&str>) -> Gathering {
        let mut facts = Facts::default();
        facts.identity.hostname = hostname.map(str::to_string);
        Gathering {
            started_at: chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00+00:00").unwrap(),
            duration: Duration::from_millis(42),
            host_key: None,
            result: match hostname {
                Some(_) => Ok(facts),
                None => Err(HostError::new(HostErrorKind::Connect, "connection refused")),
            },
        }
    }

    /// Saves shard `shard` of an inventory whose sha256 is `inventory`,
    /// with the hosts `names` (a name starting with `down` failed), into `dir`.
    fn save(dir: &Path, shard: Option<Shard>, inventory: &str, names: &[String]) {
        let staging = Staging::create(dir, chrono::Local::now().fixed_offset()).unwrap();
        staging.record_origin(Origin { inventory: Some(InputFile { path: "inv.toml".into(), sha256: inventory.into() }), shard });
        let records = names
            .iter()
            .map(|name| staging.save(&identity(name), gathering((!name.starts_with("down")).then_some(name.as_str()))))
            .collect();
        staging.commit(records).unwrap();
    }

    #[test]
    fn the_shards_sets_become_one_set_evaluate_reads_with_the_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let (s0, s1) = (Shard { index: 0, count: 2 }, Shard { index: 1, count: 2 });
        let (a, b, down) = (name_in("a", s0), name_in("b", s1), name_in("down", s1));
        save(&tmp.path().join("f0"), Some(s0), "ab", std::slice::from_ref(&a));
        save(&tmp.path().join("f1"), Some(s1), "ab", &[b.clone(), down.clone()]);
        let out = tmp.path().join("all");
        // Given in any order, merged in shard order.
        assert_eq!(merge(&[tmp.path().join("f1"), tmp.path().join("f0")], &out).unwrap(), 3);
        let merged = SavedSet::open(&out).unwrap();
        let hosts: Vec<&str> = merged.records().iter().map(|r| r.host.as_str()).collect();
        assert_eq!(hosts, [a.as_str(), b.as_str(), down.as_str()]);
        assert_eq!(merged.index().shard, None);
        assert_eq!(merged.index().inventory.as_ref().unwrap().sha256, "ab");
        for record in merged.records() {
            let (identity, gathering) = merged.load(record).unwrap();
            assert_eq!(gathering.result.map(|f| f.identity.hostname), if identity.name == down {
                Err(HostError::new(HostErrorKind::Connect, "connection refused"))
            } else {
                Ok(Some(identity.name.clone()))
            });
        }
        let file = crate::evidence::file_name(&a);
        assert_eq!(std::fs::read(out.join(&file)).unwrap(), std::fs::read(tmp.path().join("f0").join(&file)).unwrap());
        // A merged set may be merged into again (it is replaced whole), never over an input.
        assert_eq!(merge(&[tmp.path().join("f0"), tmp.path().join("f1")], &out).unwrap(), 3);
        let over = merge(&[tmp.path().join("f0"), tmp.path().join("f1")], &tmp.path().join("f1")).unwrap_err();
        assert!(over.to_string().contains("f1: it is one of the sets to merge"), "{over}");
    }

    #[test]
    fn sets_of_other_audits_or_overlapping_hosts_are_refused_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let (s0, s1) = (Shard { index: 0, count: 2 }, Shard { index: 1, count: 2 });
        let dir = |name: &str| tmp.path().join(name);
        save(&dir("f0"), Some(s0), "ab", &[name_in("a", s0)]);
        save(&dir("f1"), Some(s1), "ab", &[name_in("b", s1)]);
        save(&dir("other-inventory"), Some(s1), "cd", &[name_in("b", s1)]);
        save(&dir("whole"), None, "ab", &[name_in("b", s1)]);
        save(&dir("misplaced"), Some(s1), "ab", &[name_in("c", s0)]);
        save(&dir("again"), Some(s0), "ab", &[name_in("a", s0)]);
        let refused = |dirs: &[&str]| {
            let dirs: Vec<PathBuf> = dirs.iter().map(|d| dir(d)).collect();
            merge(&dirs, &dir("out")).unwrap_err().to_string()
        };
        let d = |name: &str| dir(name).display().to_string();
        assert_eq!(
            refused(&["f0", "other-inventory"]),
            format!("{} and {} are not shards of one audit: their inventories differ (sha256 ab and sha256 cd)", d("f0"), d("other-inventory"))
        );
        assert_eq!(refused(&["f0", "whole"]), format!("{} is not one shard's: it was made without --shard I/N", d("whole")));
        assert!(refused(&["f0", "misplaced"]).contains("is not in shard 1/2 (its name puts it in shard 0/2)"));
        assert_eq!(refused(&["f0", "again", "f1"]), format!("{} and {} are both shard 0/2", d("f0"), d("again")));
        assert!(refused(&["f1"]).starts_with("shard 0 of 2 is missing"));
        assert!(!dir("out").exists(), "nothing is written when refused");
    }
}
