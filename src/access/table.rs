//! The access check for a person: a table, one row per host in inventory
//! order and a column per stage, then why each host that is not ready is
//! not (and what is worth knowing of those that are), then the totals.

use super::stage::{HostAccess, Stage, State};
use crate::outcome::endpoint;
use crate::report::sanitize::sanitize;
use std::io;

/// Writes the table of `hosts`.
pub fn write(hosts: &[HostAccess], out: &mut dyn io::Write) -> io::Result<()> {
    let mut rows = vec![header()];
    rows.extend(hosts.iter().map(row));
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|column| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0)).collect();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    let details: Vec<String> = hosts.iter().flat_map(details).collect();
    if !details.is_empty() {
        writeln!(out)?;
        for line in details {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)?;
    let ready = hosts.iter().filter(|host| host.ready()).count();
    let noun = if hosts.len() == 1 { "host" } else { "hosts" };
    if ready == hosts.len() {
        writeln!(out, "{} {noun}, every one ready to be audited", hosts.len())
    } else {
        writeln!(out, "{} {noun}: {ready} ready, {} not ready", hosts.len(), hosts.len() - ready)
    }
}

fn header() -> Vec<String> {
    ["HOST", "ADDRESS"].into_iter().map(str::to_owned).chain(Stage::ALL.iter().map(|s| s.name().to_uppercase())).collect()
}

fn row(host: &HostAccess) -> Vec<String> {
    let recorded = host.host_key.as_ref().is_some_and(|key| key.recorded);
    let cells = host.stages.iter().map(|s| match (s.stage, s.state) {
        (Stage::HostKey, State::Ok) if recorded => "recorded".to_owned(),
        (_, state) => state.name().to_owned(),
    });
    [sanitize(&host.name).into_owned(), sanitize(&endpoint(&host.address, host.port)).into_owned()].into_iter().chain(cells).collect()
}

/// What the row cannot say: why a stage failed, why nothing was tried,
/// a key recorded now, optional tools missing.
fn details(host: &HostAccess) -> Vec<String> {
    let name = sanitize(&host.name);
    let mut lines = Vec::new();
    if let Some(key) = host.host_key.as_ref().filter(|key| key.recorded) {
        lines.push(format!(
            "{name}: host key {} {} recorded in known_hosts by this run (accept-new)",
            sanitize(&key.algorithm),
            sanitize(&key.fingerprint)
        ));
    }
    for stage in &host.stages {
        if let Some(reason) = &stage.reason {
            lines.push(format!("{name}: {} {}: {}", stage.stage, stage.state, sanitize(reason)));
        }
    }
    if let (None, Some(error)) = (host.failed(), &host.error) {
        lines.push(format!("{name}: not tried [{}]: {}", error.kind, sanitize(&error.message)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::stage::StageResult;
    use crate::inventory::Become;
    use crate::transport::{HostError, HostErrorKind, HostKeyInfo};

    fn access(name: &str, port: u16, states: [State; 6], reasons: &[(Stage, &str)]) -> HostAccess {
        let stages = Stage::ALL
            .into_iter()
            .zip(states)
            .map(|(stage, state)| StageResult {
                stage,
                state,
                reason: reasons.iter().find(|(s, _)| *s == stage).map(|(_, r)| r.to_string()),
            })
            .collect();
        HostAccess {
            name: name.into(),
            address: "10.0.0.1".into(),
            port,
            user: "audit".into(),
            become_method: Become::Sudo,
            host_key: None,
            stages,
            error: None,
        }
    }

    fn render(hosts: &[HostAccess]) -> String {
        let mut out = Vec::new();
        write(hosts, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_row_per_host_then_why_then_the_totals() {
        use State::*;
        let mut recorded = access("cp-1", 22, [Ok, Ok, Ok, Ok, Ok, Ok], &[(Stage::Tools, "optional, not found: timeout")]);
        recorded.host_key = Some(HostKeyInfo { algorithm: "ssh-ed25519".into(), fingerprint: "SHA256:abc".into(), recorded: true });
        let refused = access(
            "worker-10",
            2222,
            [Failed, NotTried, NotTried, NotTried, NotNeeded, NotTried],
            &[(Stage::Tcp, "cannot connect to worker-10 (10.0.0.1:2222): Connection refused")],
        );
        let sudo = access("etcd-1", 22, [Ok, Ok, Ok, Ok, Failed, NotTried], &[(Stage::Sudo, "sudo -n refused (exit status 1: sudo: a password is required)")]);
        let mut interrupted = access("late", 22, [NotTried; 6], &[]);
        interrupted.error = Some(HostError::new(HostErrorKind::Interrupted, "interrupted by SIGINT before late was contacted"));
        let expected = "\
HOST       ADDRESS        TCP        HOST-KEY   AUTH       SHELL      SUDO        TOOLS
cp-1       10.0.0.1       ok         recorded   ok         ok         ok          ok
worker-10  10.0.0.1:2222  failed     not-tried  not-tried  not-tried  not-needed  not-tried
etcd-1     10.0.0.1       ok         ok         ok         ok         failed      not-tried
late       10.0.0.1       not-tried  not-tried  not-tried  not-tried  not-tried   not-tried

cp-1: host key ssh-ed25519 SHA256:abc recorded in known_hosts by this run (accept-new)
cp-1: tools ok: optional, not found: timeout
worker-10: tcp failed: cannot connect to worker-10 (10.0.0.1:2222): Connection refused
etcd-1: sudo failed: sudo -n refused (exit status 1: sudo: a password is required)
late: not tried [interrupted]: interrupted by SIGINT before late was contacted

4 hosts: 1 ready, 3 not ready
";
        assert_eq!(render(&[recorded, refused, sudo, interrupted]), expected);
    }

    #[test]
    fn every_host_ready_is_said_so() {
        let ready = access("w", 22, [State::Ok, State::Ok, State::Ok, State::Ok, State::NotNeeded, State::Ok], &[]);
        let expected = "\
HOST  ADDRESS   TCP  HOST-KEY  AUTH  SHELL  SUDO        TOOLS
w     10.0.0.1  ok   ok        ok    ok     not-needed  ok

1 host, every one ready to be audited
";
        assert_eq!(render(&[ready]), expected);
    }

    #[test]
    fn host_text_cannot_reach_the_terminal_or_forge_a_line() {
        let mut hostile = access("evil\n\u{1b}[2J", 22, [State::Failed, State::NotTried, State::NotTried, State::NotTried, State::NotTried, State::NotTried], &[(Stage::Tcp, "no\rway")]);
        hostile.address = "a\nb".into();
        let text = render(&[hostile]);
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
        assert_eq!(text.lines().count(), 6, "{text}");
    }
}
