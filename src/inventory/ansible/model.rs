//! The inventory as Ansible sees it, whatever file it came from: groups
//! with hosts, variables and child groups, and hosts with their own
//! variables, each where it was written. `resolve` gives every host its
//! variables by Ansible's precedence: `all`, then the other groups from
//! the outermost to the innermost (by depth below `all`, then by name, as
//! Ansible sorts them), then the host's own; a later value wins. Hosts in
//! no group but `all` are in `ungrouped`, as in Ansible.

use crate::toml_file::Position;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A variable's value, as far as a connection setting needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// A string, number or boolean, as written (quotes removed).
    Text(String),
    /// YAML's null (`key:` with nothing after it): the variable is unset.
    Null,
    /// A list or a mapping.
    Collection,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub value: Scalar,
    pub at: Position,
}

#[derive(Debug, Default)]
struct Group {
    name: String,
    at: Option<Position>,
    children: Vec<(usize, Position)>,
    hosts: Vec<usize>,
    vars: Vec<Var>,
}

#[derive(Debug)]
struct HostEntry {
    name: String,
    at: Position,
    vars: Vec<Var>,
}

/// A host with its variables resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    /// Where the host is first named.
    pub at: Position,
    pub vars: BTreeMap<String, Var>,
    /// Every group the host is in, directly or through child groups, `all`
    /// included, sorted by name.
    pub groups: Vec<String>,
}

/// An inventory being read; groups and hosts keep the order they were
/// first named in.
#[derive(Debug, Default)]
pub struct Model {
    groups: Vec<Group>,
    group_index: HashMap<String, usize>,
    hosts: Vec<HostEntry>,
    host_index: HashMap<String, usize>,
    /// (group, host) pairs already recorded: a set, so that a group of
    /// thousands of hosts is filled in linear time.
    members: HashSet<(usize, usize)>,
}

pub const ALL: &str = "all";
pub const UNGROUPED: &str = "ungrouped";

impl Model {
    /// The group `name`, created on first mention; `at` is where it is
    /// defined, when this mention defines it.
    pub fn group(&mut self, name: &str, at: Option<Position>) -> usize {
        let index = match self.group_index.get(name) {
            Some(&index) => index,
            None => {
                self.groups.push(Group {
                    name: name.to_string(),
                    ..Group::default()
                });
                self.group_index
                    .insert(name.to_string(), self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        if self.groups[index].at.is_none() {
            self.groups[index].at = at;
        }
        index
    }

    /// Puts host `name` in `group`, creating the host on first mention.
    pub fn host(&mut self, group: usize, name: &str, at: Position) -> usize {
        let index = match self.host_index.get(name) {
            Some(&index) => index,
            None => {
                self.hosts.push(HostEntry {
                    name: name.to_string(),
                    at,
                    vars: Vec::new(),
                });
                self.host_index
                    .insert(name.to_string(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        if self.members.insert((group, index)) {
            self.groups[group].hosts.push(index);
        }
        index
    }

    pub fn host_var(&mut self, host: usize, var: Var) {
        self.hosts[host].vars.push(var);
    }

    pub fn group_var(&mut self, group: usize, var: Var) {
        self.groups[group].vars.push(var);
    }

    /// Makes group `child` a child of `parent`.
    pub fn child(&mut self, parent: usize, child: &str, at: Position) {
        let child = self.group(child, None);
        if !self.groups[parent]
            .children
            .iter()
            .any(|(c, _)| *c == child)
        {
            self.groups[parent].children.push((child, at));
        }
    }

    /// Every host with its variables, in the order hosts were first named;
    /// or the problems (a group that contains itself), each with where.
    pub fn resolve(mut self) -> Result<Vec<Resolved>, Vec<(Position, String)>> {
        let all = self.group(ALL, None);
        let ungrouped = self.group(UNGROUPED, None);
        // Every group that is no other group's child hangs from `all`.
        let mut is_child = vec![false; self.groups.len()];
        for group in &self.groups {
            for (child, _) in &group.children {
                is_child[*child] = true;
            }
        }
        let top: Vec<usize> = (0..self.groups.len())
            .filter(|&g| g != all && !is_child[g])
            .collect();
        for group in top {
            let at = self.groups[group]
                .at
                .unwrap_or(Position { line: 1, column: 1 });
            self.groups[all].children.push((group, at));
        }
        let depth = self.depths(all)?;
        // The groups each host is directly in.
        let mut direct: Vec<Vec<usize>> = vec![Vec::new(); self.hosts.len()];
        for (index, group) in self.groups.iter().enumerate() {
            for &host in &group.hosts {
                direct[host].push(index);
            }
        }
        for (host, groups) in direct.iter_mut().enumerate() {
            if groups.iter().all(|&g| g == all || g == ungrouped) && !groups.contains(&ungrouped) {
                groups.push(ungrouped);
                self.groups[ungrouped].hosts.push(host);
            }
        }
        let parents = self.parents();
        let mut resolved = Vec::with_capacity(self.hosts.len());
        for (host, entry) in self.hosts.iter().enumerate() {
            let mut groups = vec![all];
            let mut stack = direct[host].clone();
            while let Some(group) = stack.pop() {
                if !groups.contains(&group) {
                    groups.push(group);
                    stack.extend(parents[group].iter().copied());
                }
            }
            groups.sort_by(|&a, &b| {
                (depth[a], &self.groups[a].name).cmp(&(depth[b], &self.groups[b].name))
            });
            let mut vars = BTreeMap::new();
            let own = entry.vars.iter();
            for var in groups
                .iter()
                .flat_map(|&g| self.groups[g].vars.iter())
                .chain(own)
            {
                vars.insert(var.name.clone(), var.clone());
            }
            let mut names: Vec<String> = groups
                .iter()
                .map(|&g| self.groups[g].name.clone())
                .collect();
            names.sort();
            resolved.push(Resolved {
                name: entry.name.clone(),
                at: entry.at,
                vars,
                groups: names,
            });
        }
        Ok(resolved)
    }

    fn parents(&self) -> Vec<Vec<usize>> {
        let mut parents = vec![Vec::new(); self.groups.len()];
        for (index, group) in self.groups.iter().enumerate() {
            for (child, _) in &group.children {
                parents[*child].push(index);
            }
        }
        parents
    }

    /// Each group's depth below `all`: the longest path of child links to
    /// it, as Ansible counts it. A group that is its own descendant is a
    /// problem, reported where the link that closes the loop is written.
    fn depths(&self, all: usize) -> Result<Vec<usize>, Vec<(Position, String)>> {
        let mut marks = vec![Mark::New; self.groups.len()];
        let mut order = Vec::new();
        let mut problems = Vec::new();
        // Groups `all` does not reach are all in loops: they are searched too.
        for root in std::iter::once(all).chain(0..self.groups.len()) {
            if marks[root] == Mark::New {
                self.search(root, &mut marks, &mut order, &mut problems);
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|(at, _)| (at.line, at.column));
            return Err(problems);
        }
        // Parents before children: the reverse of the finishing order.
        let mut depth = vec![0; self.groups.len()];
        for &group in order.iter().rev() {
            for (child, _) in &self.groups[group].children {
                depth[*child] = depth[*child].max(depth[group] + 1);
            }
        }
        Ok(depth)
    }

    /// Depth-first from `root`, without recursion (groups may nest deeply):
    /// groups in finishing order, and every loop found.
    fn search(
        &self,
        root: usize,
        marks: &mut [Mark],
        order: &mut Vec<usize>,
        problems: &mut Vec<(Position, String)>,
    ) {
        marks[root] = Mark::Open;
        let mut stack = vec![(root, 0)];
        while let Some((group, next)) = stack.last_mut() {
            let group = *group;
            match self.groups[group].children.get(*next) {
                Some(&(child, at)) => {
                    *next += 1;
                    match marks[child] {
                        Mark::New => {
                            marks[child] = Mark::Open;
                            stack.push((child, 0));
                        }
                        Mark::Open => {
                            let mut path: Vec<&str> = stack
                                .iter()
                                .skip_while(|(g, _)| *g != child)
                                .map(|(g, _)| self.groups[*g].name.as_str())
                                .collect();
                            path.push(&self.groups[child].name);
                            let name = &self.groups[child].name;
                            problems.push((
                                at,
                                format!("group {name:?} contains itself: {}", path.join(" > ")),
                            ));
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    marks[group] = Mark::Done;
                    order.push(group);
                    stack.pop();
                }
            }
        }
    }
}

/// A group's state in the depth-first search.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Open,
    Done,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize) -> Position {
        Position { line, column: 1 }
    }

    fn var(name: &str, value: &str, line: usize) -> Var {
        Var {
            name: name.into(),
            value: Scalar::Text(value.into()),
            at: at(line),
        }
    }

    /// A host's name, its variables as (name, "value@line"), its groups.
    type Row = (String, Vec<(String, String)>, Vec<String>);

    fn table(resolved: &[Resolved]) -> Vec<Row> {
        resolved
            .iter()
            .map(|host| {
                let vars = host
                    .vars
                    .values()
                    .map(|v| match &v.value {
                        Scalar::Text(text) => (v.name.clone(), format!("{text}@{}", v.at.line)),
                        other => (v.name.clone(), format!("{other:?}")),
                    })
                    .collect();
                (host.name.clone(), vars, host.groups.clone())
            })
            .collect()
    }

    #[test]
    fn precedence_is_all_then_outer_groups_then_inner_then_host() {
        let mut model = Model::default();
        let all = model.group(ALL, Some(at(1)));
        model.group_var(all, var("u", "all", 1));
        model.group_var(all, var("p", "all", 2));
        model.group_var(all, var("k", "all", 3));
        // cluster > [cp, workers]; cp > etcd-like inner group `inner`.
        let cluster = model.group("cluster", Some(at(4)));
        model.child(cluster, "cp", at(5));
        model.group_var(cluster, var("u", "cluster", 6));
        model.group_var(cluster, var("p", "cluster", 7));
        let cp = model.group("cp", Some(at(8)));
        model.child(cp, "inner", at(9));
        let h1 = model.host(cp, "h1", at(10));
        model.group_var(cp, var("p", "cp", 11));
        let inner = model.group("inner", Some(at(12)));
        model.host(inner, "h2", at(13));
        model.group_var(inner, var("u", "inner", 14));
        model.host_var(h1, var("k", "host", 15));
        // Siblings at one depth: by name, so "b" wins over "a".
        let b = model.group("b", Some(at(16)));
        model.group_var(b, var("s", "b", 17));
        let a = model.group("a", Some(at(18)));
        model.group_var(a, var("s", "a", 19));
        model.host(b, "h3", at(20));
        model.host(a, "h3", at(21));
        // In no group but all: ungrouped.
        model.host(all, "h4", at(22));
        let text = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let names = |groups: &[&str]| groups.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        assert_eq!(
            table(&model.resolve().unwrap()),
            [
                (
                    "h1".into(),
                    text(&[("k", "host@15"), ("p", "cp@11"), ("u", "cluster@6")]),
                    names(&["all", "cluster", "cp"])
                ),
                (
                    "h2".into(),
                    text(&[("k", "all@3"), ("p", "cp@11"), ("u", "inner@14")]),
                    names(&["all", "cluster", "cp", "inner"])
                ),
                (
                    "h3".into(),
                    text(&[
                        ("k", "all@3"),
                        ("p", "all@2"),
                        ("s", "b@17"),
                        ("u", "all@1")
                    ]),
                    names(&["a", "all", "b"])
                ),
                (
                    "h4".into(),
                    text(&[("k", "all@3"), ("p", "all@2"), ("u", "all@1")]),
                    names(&["all", "ungrouped"])
                ),
            ]
        );
    }

    #[test]
    fn depth_is_the_longest_path_from_all() {
        // deep > mid > leaf, and top > leaf directly: leaf is at depth 3,
        // so its value wins over mid's (depth 2) whatever the names.
        let mut model = Model::default();
        let deep = model.group("deep", Some(at(1)));
        model.child(deep, "mid", at(2));
        let mid = model.group("mid", Some(at(3)));
        model.child(mid, "aleaf", at(4));
        let top = model.group("top", Some(at(5)));
        model.child(top, "aleaf", at(6));
        let leaf = model.group("aleaf", Some(at(7)));
        model.host(leaf, "h", at(8));
        model.group_var(leaf, var("x", "leaf", 9));
        model.group_var(mid, var("x", "mid", 10));
        model.group_var(top, var("x", "top", 11));
        let resolved = model.resolve().unwrap();
        assert_eq!(resolved[0].vars["x"].value, Scalar::Text("leaf".into()));
    }

    #[test]
    fn a_group_that_contains_itself_is_a_problem() {
        let mut model = Model::default();
        let a = model.group("a", Some(at(1)));
        model.child(a, "b", at(2));
        let b = model.group("b", Some(at(3)));
        model.child(b, "a", at(4));
        let c = model.group("c", Some(at(5)));
        model.child(c, "c", at(6));
        model.host(a, "h", at(7));
        assert_eq!(
            model.resolve().unwrap_err(),
            [
                (at(4), "group \"a\" contains itself: a > b > a".to_string()),
                (at(6), "group \"c\" contains itself: c > c".to_string()),
            ]
        );
    }
}
