//! The JSON of a diff, schema `hardbench.diff/v1` (`hardbench diff --json`),
//! frozen as `json.rs` freezes the report's: spelled-out structs converted
//! from `outcome::diff`, with the names of the schema written here. The
//! same body (everything but `schema`, `hardbench` and `exit_code`) is the
//! report's top-level `diff` object under `run --baseline`.
//!
//! ```text
//! old, new: {path (null for the run holding the diff), started_at, hardbench_version}
//! summary: {regressed, regressed_into_fail, fixed, still_failing, still_passing,
//!           incomparable, hosts_incomparable, hosts_added, hosts_removed}
//! hosts: [{name, incomparable, still_passing, checks: [{id, title, category,
//!          incomparable, old, new}]}]      (hosts in both reports)
//! hosts_added, hosts_removed: [name]
//! ```
//!
//! A host's `incomparable` is `null`, `{"reason": "unaudited", "old", "new"}`
//! (each `null` or the host's `{kind, message}` error in that report) or
//! `{"reason": "benchmark", "old", "new"}` (the benchmark ids); its checks
//! are then not listed. A check's `category` is `regressed`, `fixed`,
//! `still-failing` or `incomparable` (those still passing are only counted);
//! its `incomparable` is `null` or `{"reason": "missing" | "no-verdict",
//! "side": "old" | "new" | "both"}`; `old` and `new` are `null` (no result)
//! or `{status, verdict}`.

use super::pretty;
use super::{error_kind, status, timestamp, Each};
use crate::outcome::diff::{self, Category, HostIncomparable, Incomparable, Side};
use crate::transport::HostError;
use serde::Serialize;
use std::io;

pub const SCHEMA: &str = "hardbench.diff/v1";

/// Writes `diff` as a `hardbench.diff/v1` document; `exit_code` is the
/// status of the `hardbench diff` that wrote it.
pub fn write<W: io::Write + ?Sized>(diff: &diff::Diff, exit_code: u8, out: &mut W) -> io::Result<()> {
    let document = Document {
        schema: SCHEMA,
        hardbench: super::Tool { version: env!("CARGO_PKG_VERSION") },
        body: Body::from(diff),
        exit_code,
    };
    pretty::write_document(&document, out)
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    hardbench: super::Tool<'a>,
    #[serde(flatten)]
    body: Body<'a>,
    exit_code: u8,
}

/// A diff's data: the standalone document's and the report's `diff`.
#[derive(Serialize)]
pub(super) struct Body<'a> {
    old: Compared<'a>,
    new: Compared<'a>,
    summary: Summary,
    hosts: Each<'a, diff::HostDiff, Host<'a>>,
    hosts_added: &'a [String],
    hosts_removed: &'a [String],
}

#[derive(Serialize)]
struct Compared<'a> {
    path: Option<String>,
    started_at: String,
    hardbench_version: &'a str,
}

#[derive(Serialize)]
struct Summary {
    regressed: usize,
    regressed_into_fail: usize,
    fixed: usize,
    still_failing: usize,
    still_passing: usize,
    incomparable: usize,
    hosts_incomparable: usize,
    hosts_added: usize,
    hosts_removed: usize,
}

#[derive(Serialize)]
struct Host<'a> {
    name: &'a str,
    incomparable: Option<WholeHost<'a>>,
    still_passing: usize,
    checks: Each<'a, diff::CheckDiff, Check<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum WholeHost<'a> {
    Unaudited { old: Option<Error<'a>>, new: Option<Error<'a>> },
    Benchmark { old: Option<&'a str>, new: Option<&'a str> },
}

#[derive(Serialize)]
struct Error<'a> {
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct Check<'a> {
    id: &'a str,
    title: &'a str,
    category: &'static str,
    incomparable: Option<Why>,
    old: Option<Seen>,
    new: Option<Seen>,
}

#[derive(Serialize)]
struct Why {
    reason: &'static str,
    side: &'static str,
}

#[derive(Serialize)]
struct Seen {
    status: &'static str,
    verdict: &'static str,
}

impl<'a> From<&'a diff::Diff> for Body<'a> {
    fn from(diff: &'a diff::Diff) -> Self {
        let s = diff.summary();
        Body {
            old: Compared::from(&diff.old),
            new: Compared::from(&diff.new),
            summary: Summary {
                regressed: s.regressed,
                regressed_into_fail: s.regressed_into_fail,
                fixed: s.fixed,
                still_failing: s.still_failing,
                still_passing: s.still_passing,
                incomparable: s.incomparable,
                hosts_incomparable: s.hosts_incomparable,
                hosts_added: s.hosts_added,
                hosts_removed: s.hosts_removed,
            },
            hosts: Each::new(&diff.hosts),
            hosts_added: &diff.hosts_added,
            hosts_removed: &diff.hosts_removed,
        }
    }
}

impl<'a> From<&'a diff::Compared> for Compared<'a> {
    fn from(compared: &'a diff::Compared) -> Self {
        Compared {
            path: compared.path.as_ref().map(|path| path.to_string_lossy().into_owned()),
            started_at: timestamp(&compared.started_at),
            hardbench_version: &compared.hardbench_version,
        }
    }
}

impl<'a> From<&'a diff::HostDiff> for Host<'a> {
    fn from(host: &'a diff::HostDiff) -> Self {
        let error = |error: &'a Option<HostError>| {
            error.as_ref().map(|error| Error { kind: error_kind(error.kind), message: &error.message })
        };
        Host {
            name: &host.name,
            incomparable: host.incomparable.as_ref().map(|whole| match whole {
                HostIncomparable::Unaudited { old, new } => WholeHost::Unaudited { old: error(old), new: error(new) },
                HostIncomparable::Benchmark { old, new } => {
                    WholeHost::Benchmark { old: old.as_deref(), new: new.as_deref() }
                }
            }),
            still_passing: host.still_passing,
            checks: Each::new(&host.checks),
        }
    }
}

impl<'a> From<&'a diff::CheckDiff> for Check<'a> {
    fn from(check: &'a diff::CheckDiff) -> Self {
        let seen = |seen: Option<diff::Seen>| {
            seen.map(|seen| Seen { status: status(seen.status), verdict: status(seen.verdict) })
        };
        Check {
            id: &check.id,
            title: &check.title,
            category: category(check.category),
            incomparable: check.incomparable.as_ref().map(|why| match why {
                Incomparable::Missing { side: s } => Why { reason: "missing", side: side(*s) },
                Incomparable::NoVerdict { side: s } => Why { reason: "no-verdict", side: side(*s) },
            }),
            old: seen(check.old),
            new: seen(check.new),
        }
    }
}

// The names below are part of the schema (see json.rs).

pub(super) fn category(category: Category) -> &'static str {
    match category {
        Category::Regressed => "regressed",
        Category::Fixed => "fixed",
        Category::StillFailing => "still-failing",
        Category::StillPassing => "still-passing",
        Category::Incomparable => "incomparable",
    }
}

pub(super) fn side(side: Side) -> &'static str {
    match side {
        Side::Old => "old",
        Side::New => "new",
        Side::Both => "both",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The whole document, field by field: this is the frozen shape.
    #[test]
    fn a_diff_is_exactly_the_v1_shape() {
        let mut out = Vec::new();
        write(&sample::diff(), 1, &mut out).unwrap();
        let expected = format!(
            r#"{{
  "schema": "hardbench.diff/v1",
  "hardbench": {{
    "version": "{}"
  }},
  "old": {{
    "path": "old.json",
    "started_at": "2026-11-22T16:40:00+00:00",
    "hardbench_version": "0.1.0"
  }},
  "new": {{
    "path": null,
    "started_at": "2026-11-22T16:40:00+00:00",
    "hardbench_version": "0.1.0"
  }},
  "summary": {{
    "regressed": 1,
    "regressed_into_fail": 1,
    "fixed": 1,
    "still_failing": 0,
    "still_passing": 1,
    "incomparable": 1,
    "hosts_incomparable": 2,
    "hosts_added": 1,
    "hosts_removed": 1
  }},
  "hosts": [
    {{
      "name": "w-1",
      "incomparable": null,
      "still_passing": 1,
      "checks": [
        {{
          "id": "4.1.1",
          "title": "title 4.1.1",
          "category": "regressed",
          "incomparable": null,
          "old": {{
            "status": "pass",
            "verdict": "pass"
          }},
          "new": {{
            "status": "fail",
            "verdict": "fail"
          }}
        }},
        {{
          "id": "4.2.1",
          "title": "title 4.2.1",
          "category": "fixed",
          "incomparable": null,
          "old": {{
            "status": "fail",
            "verdict": "fail"
          }},
          "new": {{
            "status": "pass",
            "verdict": "pass"
          }}
        }},
        {{
          "id": "4.2.3",
          "title": "title 4.2.3",
          "category": "incomparable",
          "incomparable": {{
            "reason": "no-verdict",
            "side": "old"
          }},
          "old": {{
            "status": "error",
            "verdict": "error"
          }},
          "new": {{
            "status": "pass",
            "verdict": "pass"
          }}
        }}
      ]
    }},
    {{
      "name": "w-2",
      "incomparable": {{
        "reason": "unaudited",
        "old": null,
        "new": {{
          "kind": "connect",
          "message": "w-2 (10.0.0.2:22): connection refused"
        }}
      }},
      "still_passing": 0,
      "checks": []
    }},
    {{
      "name": "w-3",
      "incomparable": {{
        "reason": "benchmark",
        "old": "cis-1.12",
        "new": "cis-1.11"
      }},
      "still_passing": 0,
      "checks": []
    }}
  ],
  "hosts_added": [
    "w-new"
  ],
  "hosts_removed": [
    "w-old"
  ],
  "exit_code": 1
}}
"#,
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn every_category_and_side_has_its_schema_name() {
        for c in Category::ALL {
            assert_eq!(category(c), c.name());
        }
        for s in Side::ALL {
            assert_eq!(side(s), s.name());
        }
    }
}
