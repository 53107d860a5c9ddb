//! `all` and `any`: one judgement from several, with Kleene logic for the
//! verdict and words that still say which part is which. A file test's
//! words do not name its file ("permissions 600 or more restrictive"; the
//! source names it), so combined file tests name theirs: the same
//! requirement on two files reads once, for both files, and each file's
//! finding says whose it is.

use super::{Judgement, Verdict};

pub(super) fn combine(parts: Vec<Judgement>, all: bool) -> Judgement {
    let has = |v: Verdict| parts.iter().any(|p| p.verdict == v);
    let (decisive, fallback) = if all {
        (Verdict::Fail, Verdict::Pass)
    } else {
        (Verdict::Pass, Verdict::Fail)
    };
    // A part that does not apply counts for nothing either way; when none
    // applies, neither does the whole.
    let verdict = if has(decisive) {
        decisive
    } else if has(Verdict::Error) {
        Verdict::Error
    } else if parts.iter().all(|p| p.verdict == Verdict::NotApplicable) {
        Verdict::NotApplicable
    } else {
        fallback
    };
    let joiner = if all { " and " } else { " or " };
    let mut judgement = Judgement::new(verdict, expected(&parts, joiner), actual(&parts));
    for part in parts {
        for source in part.sources {
            if !judgement.sources.contains(&source) {
                judgement.sources.push(source);
            }
        }
        for note in part.notes {
            if !judgement.notes.contains(&note) {
                judgement.notes.push(note);
            }
        }
    }
    judgement
}

/// Each distinct requirement once, in the order the parts give them,
/// preceded by the files it is asked of.
fn expected(parts: &[Judgement], joiner: &str) -> String {
    let mut requirements: Vec<(&str, Vec<&str>)> = Vec::new();
    for part in parts {
        let subject = part.subject.as_deref();
        match requirements.iter_mut().find(|(text, _)| *text == part.expected) {
            Some((_, subjects)) => subjects.extend(subject.filter(|s| !subjects.contains(s))),
            None => requirements.push((&part.expected, subject.into_iter().collect())),
        }
    }
    requirements
        .iter()
        .map(|(text, subjects)| match subjects.as_slice() {
            [] => (*text).to_owned(),
            named => format!("{}: {text}", named.join(joiner)),
        })
        .collect::<Vec<_>>()
        .join(joiner)
}

/// Each part's finding, named by its file when its words do not name it;
/// parts that read the same value say it once.
fn actual(parts: &[Judgement]) -> String {
    let mut actuals: Vec<String> = Vec::new();
    for part in parts {
        let text = match part.subject.as_deref() {
            Some(subject) if !part.actual.contains(subject) => format!("{subject}: {}", part.actual),
            _ => part.actual.clone(),
        };
        if !actuals.contains(&text) {
            actuals.push(text);
        }
    }
    actuals.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(verdict: Verdict, subject: Option<&str>, expected: &str, actual: &str) -> Judgement {
        let mut judgement = Judgement::new(verdict, expected.into(), actual.into());
        judgement.subject = subject.map(str::to_owned);
        judgement
    }

    const ADMIN: &str = "/etc/kubernetes/admin.conf";
    const SUPER: &str = "/etc/kubernetes/super-admin.conf";
    const PERMS: &str = "permissions 600 or more restrictive";

    #[test]
    fn words_of_combined_parts() {
        use Verdict::{Error as E, Fail as F, NotApplicable as N, Pass as P};
        // (parts, all, verdict, expected, actual)
        type Case<'a> = (Vec<Judgement>, bool, Verdict, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            // The same requirement on two files reads once, for both.
            (
                vec![part(P, Some(ADMIN), PERMS, "permissions 600"), part(P, Some(SUPER), PERMS, "permissions 600")],
                true,
                P,
                "/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf: permissions 600 or more restrictive",
                "/etc/kubernetes/admin.conf: permissions 600; /etc/kubernetes/super-admin.conf: permissions 600",
            ),
            // Each file's finding says whose it is.
            (
                vec![part(P, Some(ADMIN), PERMS, "permissions 600"), part(F, Some(SUPER), PERMS, "permissions 644")],
                true,
                F,
                "/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf: permissions 600 or more restrictive",
                "/etc/kubernetes/admin.conf: permissions 600; /etc/kubernetes/super-admin.conf: permissions 644",
            ),
            // A finding that names its file already is not named twice.
            (
                vec![
                    part(P, Some(ADMIN), "owner root:root", "owner root:root"),
                    part(P, Some(SUPER), "owner root:root", "file /etc/kubernetes/super-admin.conf does not exist"),
                ],
                true,
                P,
                "/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf: owner root:root",
                "/etc/kubernetes/admin.conf: owner root:root; file /etc/kubernetes/super-admin.conf does not exist",
            ),
            // Different requirements on different files.
            (
                vec![part(F, Some(ADMIN), PERMS, "permissions 644"), part(P, Some(SUPER), "owner root:root", "owner root:root")],
                true,
                F,
                "/etc/kubernetes/admin.conf: permissions 600 or more restrictive and /etc/kubernetes/super-admin.conf: owner root:root",
                "/etc/kubernetes/admin.conf: permissions 644; /etc/kubernetes/super-admin.conf: owner root:root",
            ),
            // Settings name themselves: their words stay as they are.
            (
                vec![
                    part(P, None, "--cert-file is set", "--cert-file=/a.crt"),
                    part(E, None, "--key-file is set", "etcd could not be read"),
                ],
                true,
                E,
                "--cert-file is set and --key-file is set",
                "--cert-file=/a.crt; etcd could not be read",
            ),
            // Two tests of the same flag read the same value: said once.
            (
                vec![
                    part(F, None, "--x is not set", "--x=AlwaysAdmit"),
                    part(F, None, "--x does not include AlwaysAdmit", "--x=AlwaysAdmit"),
                ],
                false,
                F,
                "--x is not set or --x does not include AlwaysAdmit",
                "--x=AlwaysAdmit",
            ),
            // A part that does not apply counts for nothing: the other decides.
            (
                vec![
                    part(P, Some(ADMIN), PERMS, "permissions 600"),
                    part(N, Some(SUPER), PERMS, "not applicable: /etc/kubernetes/super-admin.conf does not exist on this host"),
                ],
                true,
                P,
                "/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf: permissions 600 or more restrictive",
                "/etc/kubernetes/admin.conf: permissions 600; not applicable: /etc/kubernetes/super-admin.conf does not exist on this host",
            ),
            (
                vec![part(N, Some(SUPER), PERMS, "not applicable: gone"), part(F, Some(ADMIN), PERMS, "permissions 644")],
                false,
                F,
                "/etc/kubernetes/super-admin.conf or /etc/kubernetes/admin.conf: permissions 600 or more restrictive",
                "/etc/kubernetes/super-admin.conf: not applicable: gone; /etc/kubernetes/admin.conf: permissions 644",
            ),
            // When no part applies, neither does the whole, `all` or `any`.
            (
                vec![part(N, None, "--x is set", "not applicable: a"), part(N, None, "--y is set", "not applicable: b")],
                true,
                N,
                "--x is set and --y is set",
                "not applicable: a; not applicable: b",
            ),
            (
                vec![part(N, None, "--x is set", "not applicable: a")],
                false,
                N,
                "--x is set",
                "not applicable: a",
            ),
            // The same requirement twice on one unnamed subject reads once.
            (
                vec![part(P, None, PERMS, "permissions 600"), part(P, None, PERMS, "permissions 600")],
                false,
                P,
                "permissions 600 or more restrictive",
                "permissions 600",
            ),
        ];
        for (parts, all, verdict, expected, actual) in cases {
            let judgement = combine(parts, all);
            assert_eq!(
                (judgement.verdict, judgement.expected.as_str(), judgement.actual.as_str()),
                (verdict, expected, actual)
            );
        }
    }
}
