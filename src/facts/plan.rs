//! What to gather beyond the script's built-in knowledge: the paths a
//! benchmark names. The plan is data, passed to the fixed script as
//! arguments; it never carries code.

use std::collections::BTreeSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Paths to `stat`.
    pub stat: BTreeSet<String>,
    /// Directories whose every entry, recursively, is listed and `stat`ed.
    pub tree: BTreeSet<String>,
    /// Files whose (redacted, capped) contents are read. A directory here
    /// means every regular file directly inside it.
    pub read: BTreeSet<String>,
}

impl Plan {
    /// The script's arguments: one `s:`, `t:` or `r:` prefixed path each, in
    /// a stable order.
    pub fn args(&self) -> Vec<String> {
        let stat = self.stat.iter().map(|p| format!("s:{p}"));
        let tree = self.tree.iter().map(|p| format!("t:{p}"));
        let read = self.read.iter().map(|p| format!("r:{p}"));
        stat.chain(tree).chain(read).collect()
    }

    pub fn merge(&mut self, other: &Plan) {
        self.stat.extend(other.stat.iter().cloned());
        self.tree.extend(other.tree.iter().cloned());
        self.read.extend(other.read.iter().cloned());
    }
}
