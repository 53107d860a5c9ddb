//! Typed setting values, parsed from the text a component was given the way
//! the component itself parses it (Go's strconv for bools and ints, Go's
//! time.ParseDuration, pflag's comma-separated slices). Below both the
//! benchmark model (whose operands are typed values) and `kube` (which
//! reads the values on a host).

pub mod duration;

use crate::names::named_enum;
use std::fmt;

named_enum! {
    /// The type of a setting's value, as `settings.toml` names it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ValueKind {
        Bool = "bool",
        Int = "int",
        Duration = "duration",
        String = "string",
        List = "list",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    /// Nanoseconds.
    Duration(i128),
    String(String),
    List(Vec<String>),
}

impl Value {
    /// Parses `text` as a value of `kind`. The error is a phrase that reads
    /// after the value, e.g. "is not a valid bool".
    pub fn parse(kind: ValueKind, text: &str) -> Result<Value, String> {
        match kind {
            ValueKind::Bool => parse_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| "is not a valid bool".into()),
            ValueKind::Int => parse_int(text)
                .map(Value::Int)
                .ok_or_else(|| "is not a valid integer".into()),
            ValueKind::Duration => duration::parse(text)
                .map(Value::Duration)
                .map_err(|_| "is not a valid duration".into()),
            ValueKind::String => Ok(Value::String(text.to_string())),
            ValueKind::List => Ok(Value::List(split_list(text))),
        }
    }

    /// The number used by ordering comparisons, if this kind has one.
    pub fn number(&self) -> Option<i128> {
        match self {
            Value::Int(n) => Some(i128::from(*n)),
            Value::Duration(n) => Some(*n),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Duration(n) => write!(f, "{}", format_duration(*n)),
            Value::String(s) => f.write_str(s),
            Value::List(items) => f.write_str(&items.join(",")),
        }
    }
}

/// Go's `strconv.ParseBool`, used by pflag and the std flag package.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)` as pflag's int flags use it: an
/// optional sign, then a `0x`, `0o`, `0b` or (legacy octal) `0` prefix.
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.replace('_', ""))
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.replace('_', ""))
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.replace('_', ""))
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].replace('_', ""))
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(&digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// pflag's string slices: elements are kept verbatim (no trimming: the
/// component does not trim either), and an empty value is an empty list.
pub fn split_list(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(',').map(str::to_string).collect()
    }
}

/// Formats nanoseconds the way Go prints a Duration (`4h0m0s`, `1.5s`, `0s`).
fn format_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000_000_000 {
        return format!("{sign}{n}ns");
    }
    let hours = n / 3_600_000_000_000;
    let minutes = n / 60_000_000_000 % 60;
    let secs = n % 60_000_000_000;
    let whole = secs / 1_000_000_000;
    let frac = secs % 1_000_000_000;
    let seconds = if frac == 0 {
        format!("{whole}s")
    } else {
        let digits = format!("{frac:09}");
        format!("{whole}.{}s", digits.trim_end_matches('0'))
    };
    match (hours, minutes) {
        (0, 0) => format!("{sign}{seconds}"),
        (0, m) => format!("{sign}{m}m{seconds}"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(kind: ValueKind, text: &str, expected: Result<Value, ()>) {
        assert_eq!(
            Value::parse(kind, text).map_err(|_| ()),
            expected,
            "{kind:?} {text:?}"
        );
    }

    #[test]
    fn parses_like_the_components() {
        use Value::*;
        case(ValueKind::Bool, "false", Ok(Bool(false)));
        case(ValueKind::Bool, "False", Ok(Bool(false)));
        case(ValueKind::Bool, "1", Ok(Bool(true)));
        case(ValueKind::Bool, "t", Ok(Bool(true)));
        // A quoted value reached argv with its quotes: the component rejects it.
        case(ValueKind::Bool, "\"false\"", Err(()));
        case(ValueKind::Bool, "yes", Err(()));
        case(ValueKind::Bool, "", Err(()));
        case(ValueKind::Int, "30", Ok(Int(30)));
        case(ValueKind::Int, "+30", Ok(Int(30)));
        case(ValueKind::Int, "-1", Ok(Int(-1)));
        case(ValueKind::Int, "030", Ok(Int(24)));
        case(ValueKind::Int, "0x1e", Ok(Int(30)));
        case(ValueKind::Int, "0", Ok(Int(0)));
        case(ValueKind::Int, " 30", Err(()));
        case(ValueKind::Int, "30d", Err(()));
        case(ValueKind::Int, "Pikachu", Err(()));
        case(ValueKind::Int, "", Err(()));
        case(ValueKind::Duration, "0s", Ok(Duration(0)));
        case(ValueKind::Duration, "0", Ok(Duration(0)));
        case(ValueKind::Duration, "5m", Ok(Duration(300_000_000_000)));
        case(ValueKind::String, "", Ok(String("".into())));
        case(
            ValueKind::List,
            "Node,RBAC",
            Ok(List(vec!["Node".into(), "RBAC".into()])),
        );
        case(
            ValueKind::List,
            "Node, RBAC",
            Ok(List(vec!["Node".into(), " RBAC".into()])),
        );
        case(ValueKind::List, "", Ok(List(vec![])));
    }

    #[test]
    fn durations_print_like_go() {
        for (nanos, text) in [
            (0, "0s"),
            (14_400_000_000_000, "4h0m0s"),
            (1_500_000_000, "1.5s"),
            (300_000_000_000, "5m0s"),
            (5, "5ns"),
        ] {
            assert_eq!(Value::Duration(nanos).to_string(), text);
        }
    }
}
