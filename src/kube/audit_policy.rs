//! The API server's audit policy (audit.k8s.io/v1 Policy), reduced to what
//! CIS 3.2.1 asks an auditor to look at: how many rules it has and which
//! levels they log at.

use crate::kube::config;
use serde_json::Value as Json;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub rules: usize,
    /// Distinct levels, in the order the rules first use them.
    pub levels: Vec<String>,
}

impl Summary {
    /// Whether any rule logs anything (a level other than `None`).
    pub fn logs(&self) -> bool {
        self.levels.iter().any(|l| l != "None")
    }
}

pub fn summarize(text: &str) -> Result<Summary, String> {
    let doc = config::parse_kind(text, "Policy")?;
    let rules = config::list(&doc, "rules")?;
    let mut levels: Vec<String> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let level = rule
            .get("level")
            .and_then(Json::as_str)
            .ok_or(format!("rules[{i}] has no level"))?;
        if !levels.iter().any(|l| l == level) {
            levels.push(level.to_string());
        }
    }
    Ok(Summary { rules: rules.len(), levels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_in_order_of_first_use() {
        let policy = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [system:kube-proxy]\n- level: Metadata\n  resources: [{group: '', resources: [secrets]}]\n- level: RequestResponse\n- level: Metadata\n";
        let summary = summarize(policy).unwrap();
        assert_eq!(summary, Summary { rules: 4, levels: vec!["None".into(), "Metadata".into(), "RequestResponse".into()] });
        assert!(summary.logs());
        let silent = summarize("kind: Policy\nrules:\n- level: None\n").unwrap();
        assert!(!silent.logs());
        assert_eq!(summarize("kind: Policy\n").unwrap().rules, 0);
        assert!(summarize("kind: Policy\nrules:\n- users: [a]\n").unwrap_err().contains("no level"));
        assert!(summarize("kind: Pod\n").is_err());
    }
}
