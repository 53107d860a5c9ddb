//! The bastion's file-descriptor budget. Each host in flight holds several
//! descriptors; past RLIMIT_NOFILE every open fails with EMFILE, which
//! libssh2 and the key loading then report as the host's fault (healthy
//! hosts showed up as authentication and host-key failures under
//! `ulimit -n 64` with `--concurrency 200`). So the run raises its soft
//! limit as far as the hard limit allows and needs, and audits no more
//! hosts at once than the remaining budget serves, saying so on stderr.

use std::io;

/// Descriptors one host in flight can hold at once: its TCP socket (behind
/// a jump host: its end of a socketpair, and the relay's end), the
/// deadline watchdog's duplicate of it, the ssh-agent socket, one file being
/// read (known_hosts, the identity file, by us and again by libssh2), and
/// the sockets of a name lookup still running on its own after its deadline.
pub const PER_HOST: u64 = 6;

/// Kept free for the run itself: reports and their temporary files, saved
/// facts, the signal pipe, whatever a library opens.
const RESERVE: u64 = 16;

/// The concurrency this run can afford: `requested`, or fewer when the
/// descriptor limit cannot serve that many hosts at once (said on stderr).
pub fn clamp_concurrency(requested: usize) -> usize {
    let open = open_descriptors();
    let needed = open + RESERVE + PER_HOST * requested as u64;
    let limit = match raise_soft_limit(needed) {
        Ok(limit) => limit,
        // No limit known: nothing to clamp against.
        Err(_) => return requested,
    };
    let allowed = affordable(requested, limit, open);
    if allowed < requested {
        eprintln!(
            "hardbench: the open-file limit ({limit}, {open} in use) allows {allowed} hosts at once: \
             auditing {allowed} at a time instead of {requested} (raise `ulimit -n` for more)"
        );
    }
    allowed
}

/// How many hosts `limit` descriptors serve at once, `open` being in use
/// already: at least one, so that a run always tries (and a host that then
/// meets EMFILE is reported as the bastion's failure, not the host's).
fn affordable(requested: usize, limit: u64, open: u64) -> usize {
    let budget = limit.saturating_sub(open + RESERVE) / PER_HOST;
    requested.min(usize::try_from(budget).unwrap_or(usize::MAX)).max(1)
}

/// Raise the soft RLIMIT_NOFILE towards `needed`, never past the hard
/// limit; returns the soft limit now in effect.
fn raise_soft_limit(needed: u64) -> io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit fills the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let wanted = needed.min(limit.rlim_max);
    if limit.rlim_cur != libc::RLIM_INFINITY && limit.rlim_cur < wanted {
        let raised = libc::rlimit { rlim_cur: wanted, rlim_max: limit.rlim_max };
        // SAFETY: a valid rlimit, within the hard limit.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(wanted);
        }
    }
    Ok(limit.rlim_cur)
}

/// Descriptors this process has open now (stdio, the signal pipe...).
fn open_descriptors() -> u64 {
    match std::fs::read_dir("/proc/self/fd") {
        // Less the one reading the directory.
        Ok(entries) => (entries.count() as u64).saturating_sub(1),
        // Without /proc, assume stdio and a little more.
        Err(_) => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affordable_concurrency() {
        #[track_caller]
        fn case(requested: usize, limit: u64, open: u64, expected: usize) {
            assert_eq!(affordable(requested, limit, open), expected, "{requested} hosts, limit {limit}, {open} open");
        }
        // `ulimit -n 64` with --concurrency 200: (64 - 5 - 16) / 6.
        case(200, 64, 5, 7);
        case(200, 1024, 5, 167);
        case(32, 1024, 5, 32);
        case(200, 1_048_576, 5, 200);
        case(200, libc::RLIM_INFINITY, 5, 200);
        // Nothing left: one host at a time still tries.
        case(200, 16, 5, 1);
        case(200, 0, 0, 1);
        case(1, 64, 5, 1);
    }
}
