//! The closed set of operators a check's test may use, and their compiled
//! form: a `Predicate` holds the operator with its operand already parsed
//! (numbers, durations, octal masks, regexes), so evaluation cannot meet a
//! malformed operand. Judging a host's facts with them is `eval`'s work.

use crate::names::named_enum;
use crate::value::{self, Value, ValueKind};
use regex::Regex;
use std::cell::RefCell;
use std::collections::HashMap;

named_enum! {
    /// An operator, named as a check's `op` spells it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Operator {
        Eq = "eq",
        Ne = "ne",
        Gt = "gt",
        Gte = "gte",
        Lt = "lt",
        Lte = "lte",
        Set = "set",
        Unset = "unset",
        Contains = "contains",
        NotContains = "not-contains",
        SubsetOf = "subset-of",
        Matches = "matches",
        ModeAtMost = "mode-at-most",
        Owner = "owner",
        Exists = "exists",
    }
}

impl Operator {
    pub fn description(self) -> &'static str {
        match self {
            Operator::Eq => "the value equals the operand (durations compare as durations)",
            Operator::Ne => "the value differs from the operand",
            Operator::Gt => "the number is greater than the operand",
            Operator::Gte => "the number is at least the operand",
            Operator::Lt => "the number is less than the operand",
            Operator::Lte => "the number is at most the operand",
            Operator::Set => "the setting is given and not empty",
            Operator::Unset => "the setting is not given anywhere",
            Operator::Contains => "the list has the operand as an element (exact match)",
            Operator::NotContains => "the list does not have the operand as an element",
            Operator::SubsetOf => "every element of the list is one of the operand's comma-separated elements",
            Operator::Matches => "the value matches the operand regex (unanchored)",
            Operator::ModeAtMost => "the file sets no permission bit outside the octal operand (setuid, setgid, sticky included)",
            Operator::Owner => "the file's owner and group have the names user:group on the host",
            Operator::Exists => "the file exists",
        }
    }

    pub fn takes_value(self) -> bool {
        !matches!(self, Operator::Set | Operator::Unset | Operator::Exists)
    }

    /// Whether the operator judges file metadata (rather than a setting).
    pub fn is_file_operator(self) -> bool {
        matches!(
            self,
            Operator::ModeAtMost | Operator::Owner | Operator::Exists
        )
    }

    /// Whether the operator makes sense for a setting of this kind.
    pub fn applies_to(self, kind: ValueKind) -> bool {
        use ValueKind::*;
        match self {
            Operator::Eq | Operator::Ne => matches!(kind, Bool | Int | Duration | String),
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
                matches!(kind, Int | Duration)
            }
            Operator::Set | Operator::Unset => true,
            Operator::Contains | Operator::NotContains | Operator::SubsetOf => kind == List,
            Operator::Matches => matches!(kind, String | List),
            Operator::ModeAtMost | Operator::Owner | Operator::Exists => false,
        }
    }
}

/// An operator with its parsed operand.
#[derive(Clone, Debug)]
pub enum Predicate {
    Eq(Value),
    Ne(Value),
    Gt(Value),
    Gte(Value),
    Lt(Value),
    Lte(Value),
    Set,
    Unset,
    Contains(String),
    NotContains(String),
    SubsetOf(Vec<String>),
    Matches(Regex),
    ModeAtMost(u32),
    Owner { user: String, group: String },
    Exists,
}

/// The regexes of `matches` tests, compiled once for the benchmarks loaded
/// together (`validate::Reads`): every benchmark derived from cis-1.12 has
/// its `matches` tests, and compiling a regex costs more than validating
/// the rest of a benchmark's checks. A copy shares the compiled program.
/// Patterns that do not compile are not kept.
#[derive(Default)]
pub struct Regexes(RefCell<HashMap<String, Regex>>);

impl Regexes {
    fn compiled(&self, pattern: &str) -> Result<Regex, regex::Error> {
        if let Some(regex) = self.0.borrow().get(pattern) {
            return Ok(regex.clone());
        }
        let regex = Regex::new(pattern)?;
        self.0.borrow_mut().insert(pattern.to_string(), regex.clone());
        Ok(regex)
    }
}

impl Predicate {
    /// Compiles an operator and its operand text. `kind` is the setting's
    /// kind, or `None` for a file test. The caller has checked that the
    /// operator applies and that a value is present exactly when needed.
    /// A regex comes from `regexes`.
    pub fn compile(
        op: Operator,
        kind: Option<ValueKind>,
        operand: &str,
        regexes: &Regexes,
    ) -> Result<Predicate, String> {
        let typed = || match kind {
            Some(kind) => Value::parse(kind, operand).map_err(|e| format!("value {operand:?} {e}")),
            None => Err("a file test has no typed value".into()),
        };
        Ok(match op {
            Operator::Eq => Predicate::Eq(typed()?),
            Operator::Ne => Predicate::Ne(typed()?),
            Operator::Gt => Predicate::Gt(typed()?),
            Operator::Gte => Predicate::Gte(typed()?),
            Operator::Lt => Predicate::Lt(typed()?),
            Operator::Lte => Predicate::Lte(typed()?),
            Operator::Set => Predicate::Set,
            Operator::Unset => Predicate::Unset,
            Operator::Exists => Predicate::Exists,
            Operator::Contains | Operator::NotContains => {
                if operand.is_empty() || operand.contains(',') {
                    return Err(format!(
                        "value {operand:?} must be one list element (no comma, not empty)"
                    ));
                }
                if op == Operator::Contains {
                    Predicate::Contains(operand.into())
                } else {
                    Predicate::NotContains(operand.into())
                }
            }
            Operator::SubsetOf => {
                let elements = value::split_list(operand);
                if elements.is_empty() || elements.iter().any(String::is_empty) {
                    return Err(format!(
                        "value {operand:?} must be a comma-separated list of non-empty elements"
                    ));
                }
                Predicate::SubsetOf(elements)
            }
            Operator::Matches => Predicate::Matches(regexes.compiled(operand).map_err(|e| format!("invalid regex: {e}"))?),
            Operator::ModeAtMost => {
                let valid = !operand.is_empty()
                    && operand.len() <= 4
                    && operand.bytes().all(|b| (b'0'..=b'7').contains(&b));
                if !valid {
                    return Err(format!(
                        "value {operand:?} is not an octal mode (e.g. 600, 0644)"
                    ));
                }
                Predicate::ModeAtMost(u32::from_str_radix(operand, 8).map_err(|e| e.to_string())?)
            }
            Operator::Owner => match operand.split_once(':') {
                Some((user, group))
                    if !user.is_empty() && !group.is_empty() && !group.contains(':') =>
                {
                    Predicate::Owner {
                        user: user.into(),
                        group: group.into(),
                    }
                }
                _ => return Err(format!("value {operand:?} is not user:group")),
            },
        })
    }

    pub fn operator(&self) -> Operator {
        match self {
            Predicate::Eq(_) => Operator::Eq,
            Predicate::Ne(_) => Operator::Ne,
            Predicate::Gt(_) => Operator::Gt,
            Predicate::Gte(_) => Operator::Gte,
            Predicate::Lt(_) => Operator::Lt,
            Predicate::Lte(_) => Operator::Lte,
            Predicate::Set => Operator::Set,
            Predicate::Unset => Operator::Unset,
            Predicate::Contains(_) => Operator::Contains,
            Predicate::NotContains(_) => Operator::NotContains,
            Predicate::SubsetOf(_) => Operator::SubsetOf,
            Predicate::Matches(_) => Operator::Matches,
            Predicate::ModeAtMost(_) => Operator::ModeAtMost,
            Predicate::Owner { .. } => Operator::Owner,
            Predicate::Exists => Operator::Exists,
        }
    }

    /// What the predicate requires of `subject` (a flag, or "file"), in words.
    pub fn expected(&self, subject: &str) -> String {
        match self {
            Predicate::Eq(v) => format!("{subject} is {v}"),
            Predicate::Ne(v) => format!("{subject} is not {v}"),
            Predicate::Gt(v) => format!("{subject} > {v}"),
            Predicate::Gte(v) => format!("{subject} >= {v}"),
            Predicate::Lt(v) => format!("{subject} < {v}"),
            Predicate::Lte(v) => format!("{subject} <= {v}"),
            Predicate::Set => format!("{subject} is set"),
            Predicate::Unset => format!("{subject} is not set"),
            Predicate::Contains(e) => format!("{subject} includes {e}"),
            Predicate::NotContains(e) => format!("{subject} does not include {e}"),
            Predicate::SubsetOf(allowed) => {
                format!("{subject} only includes {}", allowed.join(", "))
            }
            Predicate::Matches(re) => format!("{subject} matches /{}/", re.as_str()),
            Predicate::ModeAtMost(mask) => {
                format!("permissions {} or more restrictive", mode_text(*mask))
            }
            Predicate::Owner { user, group } => format!("owner {user}:{group}"),
            Predicate::Exists => format!("{subject} exists"),
        }
    }

    /// Judges a setting's typed value. `given` says whether the value came
    /// from the component's configuration (as opposed to its default);
    /// `None` means absent with no known default, which only `unset`
    /// accepts.
    pub fn test_value(&self, value: Option<&Value>, given: bool) -> bool {
        match self {
            Predicate::Set => given && value.is_some_and(|v| !v.to_string().is_empty()),
            Predicate::Unset => !given,
            _ => value.is_some_and(|v| self.test_present(v)),
        }
    }

    fn test_present(&self, value: &Value) -> bool {
        let order = |operand: &Value, accept: fn(std::cmp::Ordering) -> bool| match (
            value.number(),
            operand.number(),
        ) {
            (Some(a), Some(b)) => accept(a.cmp(&b)),
            _ => false,
        };
        match self {
            Predicate::Eq(v) => value == v,
            Predicate::Ne(v) => value != v,
            Predicate::Gt(v) => order(v, |o| o.is_gt()),
            Predicate::Gte(v) => order(v, |o| o.is_ge()),
            Predicate::Lt(v) => order(v, |o| o.is_lt()),
            Predicate::Lte(v) => order(v, |o| o.is_le()),
            Predicate::Contains(e) => elements(value).contains(e),
            Predicate::NotContains(e) => !elements(value).contains(e),
            Predicate::SubsetOf(allowed) => elements(value).iter().all(|e| allowed.contains(e)),
            Predicate::Matches(re) => re.is_match(&value.to_string()),
            Predicate::Set
            | Predicate::Unset
            | Predicate::ModeAtMost(_)
            | Predicate::Owner { .. }
            | Predicate::Exists => false,
        }
    }
}

fn elements(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items.clone(),
        other => vec![other.to_string()],
    }
}

/// A mode as `ls`-style octal: three digits, four when a special bit is set.
pub fn mode_text(mode: u32) -> String {
    let mode = mode & 0o7777;
    if mode > 0o777 {
        format!("{mode:04o}")
    } else {
        format!("{mode:03o}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(op: &str, kind: ValueKind, operand: &str) -> Predicate {
        Predicate::compile(Operator::from_name(op).unwrap(), Some(kind), operand, &Regexes::default()).unwrap()
    }

    #[track_caller]
    fn case(op: &str, kind: ValueKind, operand: &str, actual: Option<&str>, expected: bool) {
        let predicate = compile(op, kind, operand);
        let value = actual.map(|a| Value::parse(kind, a).unwrap());
        assert_eq!(
            predicate.test_value(value.as_ref(), actual.is_some()),
            expected,
            "{op} {operand:?} on {actual:?}"
        );
    }

    #[test]
    fn comparisons() {
        use ValueKind::*;
        // kube-bench TestCompareOp vectors, typed.
        case("eq", Bool, "true", Some("false"), false);
        case("eq", String, "", Some(""), true);
        case("eq", String, "KubeletConfiguration", Some(""), false);
        case("eq", String, "", Some("KubeletConfiguration"), false);
        case("ne", String, "", Some(""), false);
        case("ne", Bool, "true", Some("true"), false);
        case("ne", Bool, "true", Some("false"), true);
        case("ne", String, "KubeletConfiguration", Some(""), true);
        for (a, b, gt, lt, gte, lte) in [
            ("0", "0", false, false, true, true),
            ("4", "5", false, true, false, true),
            ("5", "4", true, false, true, false),
            ("5", "5", false, false, true, true),
        ] {
            case("gt", Int, b, Some(a), gt);
            case("lt", Int, b, Some(a), lt);
            case("gte", Int, b, Some(a), gte);
            case("lte", Int, b, Some(a), lte);
        }
        case("gte", Int, "30", Some("40"), true);
        case("lt", Int, "30", Some("20"), true);
        case("gt", Int, "14999", Some("15000"), true);
        // Durations compare as durations (kube-bench: "0s" != "0").
        case("ne", Duration, "0", Some("0s"), false);
        case("eq", Duration, "0s", Some("0"), true);
        case("gte", Duration, "5m", Some("1h"), true);
        case("eq", Bool, "false", Some("False"), true);
        // Absent with no default: only `unset` passes.
        case("eq", Bool, "false", None, false);
        case("ne", Bool, "true", None, false);
        case("not-contains", List, "AlwaysAdmit", None, false);
        case("unset", String, "", None, true);
        case("unset", String, "", Some("x"), false);
        case("set", String, "", Some("x"), true);
        case("set", String, "", Some(""), false);
        case("set", String, "", None, false);
    }

    #[test]
    fn lists_match_elements_not_substrings() {
        use ValueKind::List;
        case("contains", List, "RBAC", Some("WebHook,RBAC"), true);
        case("contains", List, "WebHook", Some("WebHook,RBAC"), true);
        case(
            "contains",
            List,
            "Something",
            Some("WebHook,Something,RBAC"),
            true,
        );
        case("contains", List, "Something", Some("Something"), true);
        case(
            "contains",
            List,
            "Node",
            Some("NodeRestriction,RBAC"),
            false,
        );
        case("contains", List, "RBAC", Some("Node, RBAC"), false);
        case(
            "not-contains",
            List,
            "AlwaysAdmit",
            Some("WebHook,RBAC"),
            true,
        );
        case(
            "not-contains",
            List,
            "AlwaysAdmit",
            Some("NodeRestriction,AlwaysAdmit"),
            false,
        );
        case(
            "not-contains",
            List,
            "AlwaysAllow",
            Some("AlwaysAllowed"),
            true,
        );
        case("subset-of", List, "a,b,c", Some("a,b,c"), true);
        case("subset-of", List, "a,b,c", Some("a,c"), true);
        case("subset-of", List, "a,c", Some("a,b,c"), false);
        case("subset-of", List, "a,b", Some(""), true);
        case(
            "matches",
            ValueKind::String,
            "^1\\.12.*$",
            Some("1.12.7"),
            true,
        );
        case(
            "matches",
            ValueKind::String,
            "^1\\.12.*$",
            Some("1.11"),
            false,
        );
        case("matches", ValueKind::String, "", Some(""), true);
    }

    #[test]
    fn bad_operands() {
        let bad = |op: Operator, kind: Option<ValueKind>, operand: &str| {
            Predicate::compile(op, kind, operand, &Regexes::default()).is_err()
        };
        assert!(bad(Operator::Gte, Some(ValueKind::Int), "Pikachu"));
        assert!(bad(Operator::Eq, Some(ValueKind::Bool), "yes"));
        assert!(bad(Operator::ModeAtMost, None, "Harry"));
        assert!(bad(Operator::ModeAtMost, None, "999"));
        assert!(bad(Operator::ModeAtMost, None, "17777"));
        assert!(bad(Operator::Owner, None, "root"));
        assert!(bad(Operator::Matches, Some(ValueKind::String), "("));
        assert!(bad(Operator::Contains, Some(ValueKind::List), "a,b"));
        assert!(bad(Operator::SubsetOf, Some(ValueKind::List), "a,,b"));
    }

    /// A pattern compiled before is taken again, and judges as compiled;
    /// one that does not compile is refused every time, and not kept.
    #[test]
    fn each_pattern_is_compiled_once_and_a_bad_one_refused_every_time() {
        let regexes = Regexes::default();
        for _ in 0..2 {
            let regex = regexes.compiled("^(127\\.[0-9.]+|localhost):[0-9]+$").unwrap();
            assert!(regex.is_match("127.0.0.1:2379") && !regex.is_match("10.0.0.1:2379"));
            assert_eq!(regex.as_str(), "^(127\\.[0-9.]+|localhost):[0-9]+$");
            let error = Predicate::compile(Operator::Matches, Some(ValueKind::String), "(", &regexes).unwrap_err();
            assert!(error.starts_with("invalid regex: regex parse error"), "{error}");
            assert_eq!(regexes.0.borrow().len(), 1, "one pattern compiled, the bad one not kept");
        }
    }

    #[test]
    fn expected_text() {
        assert_eq!(
            compile("eq", ValueKind::Bool, "false").expected("--profiling"),
            "--profiling is false"
        );
        assert_eq!(
            compile("gte", ValueKind::Int, "30").expected("--audit-log-maxage"),
            "--audit-log-maxage >= 30"
        );
        let mode = Predicate::compile(Operator::ModeAtMost, None, "600", &Regexes::default()).unwrap();
        assert_eq!(mode.expected("file"), "permissions 600 or more restrictive");
        let owner = Predicate::compile(Operator::Owner, None, "root:root", &Regexes::default()).unwrap();
        assert_eq!(owner.expected("file"), "owner root:root");
        assert_eq!(mode_text(0o1600), "1600");
        assert_eq!(mode_text(0o644), "644");
        assert_eq!(mode_text(0o7), "007");
    }
}
