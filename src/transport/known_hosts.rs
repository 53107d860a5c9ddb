//! OpenSSH `known_hosts` files: parsing, matching a host key against them,
//! and appending a newly trusted key. This is our own code because libssh2's
//! matcher ignores `@revoked` (a revoked key still matches), ignores
//! `@cert-authority`, and lets a port-less entry match any port.
//!
//! Supported: plain host patterns (comma lists, `*` and `?` wildcards,
//! `!negated` patterns), `[host]:port` names, hashed `|1|salt|hash` names,
//! the `@revoked` marker, comments and blank lines. `@cert-authority` lines
//! (and any other marker) are skipped: we never negotiate host certificates,
//! so a CA line can never vouch for a plain key. Malformed lines are skipped
//! as OpenSSH does.
//!
//! Only `record` touches the file system; everything else is pure.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// A parsed known_hosts file: every usable line, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// 1-based line number in the file, for messages.
    line: usize,
    revoked: bool,
    hosts: Hosts,
    key_type: String,
    blob: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Hosts {
    Patterns(Vec<Pattern>),
    /// `|1|salt|hash`: hash = HMAC-SHA1(key = salt, message = host name).
    Hashed {
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    negated: bool,
    /// Lowercased, as OpenSSH compares host names case-insensitively.
    glob: String,
}

/// What a known_hosts file says about the key a host offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// An entry for this host has exactly this key.
    Match { line: usize },
    /// The host is known, but with other keys; `line` is the first entry for
    /// it (one of the same key type if there is one).
    Mismatch { line: usize, key_type: String },
    /// A `@revoked` line for this host lists this key.
    Revoked { line: usize },
    /// No entry names this host.
    NotFound,
}

impl KnownHosts {
    pub fn parse(text: &str) -> KnownHosts {
        let entries = text
            .lines()
            .enumerate()
            .filter_map(|(index, line)| parse_line(index + 1, line))
            .collect();
        KnownHosts { entries }
    }

    /// Judge `blob` (the SSH wire encoding of a public key) offered by
    /// `host`, a name as `host_name` builds it. A revocation wins over any
    /// match, as in OpenSSH.
    pub fn check(&self, host: &str, blob: &[u8]) -> Verdict {
        let host = host.to_ascii_lowercase();
        let for_host: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.hosts.matches(&host))
            .collect();
        if let Some(entry) = for_host.iter().find(|e| e.revoked && e.blob == blob) {
            return Verdict::Revoked { line: entry.line };
        }
        let trusted: Vec<&&Entry> = for_host.iter().filter(|e| !e.revoked).collect();
        if let Some(entry) = trusted.iter().find(|e| e.blob == blob) {
            return Verdict::Match { line: entry.line };
        }
        let offered_type = key_type(blob);
        let closest = trusted
            .iter()
            .find(|e| Some(e.key_type.as_str()) == offered_type.as_deref())
            .or_else(|| trusted.first());
        match closest {
            Some(entry) => Verdict::Mismatch {
                line: entry.line,
                key_type: entry.key_type.clone(),
            },
            None => Verdict::NotFound,
        }
    }

    /// The key types trusted for `host`, in file order without repeats; used
    /// to ask the server for a key we can verify first, as OpenSSH does.
    pub fn key_types(&self, host: &str) -> Vec<String> {
        let host = host.to_ascii_lowercase();
        let mut types: Vec<String> = Vec::new();
        for entry in self
            .entries
            .iter()
            .filter(|e| !e.revoked && e.hosts.matches(&host))
        {
            if !types.contains(&entry.key_type) {
                types.push(entry.key_type.clone());
            }
        }
        types
    }
}

fn parse_line(line: usize, text: &str) -> Option<Entry> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    let mut fields = text.split_whitespace();
    let mut first = fields.next()?;
    let mut revoked = false;
    if let Some(marker) = first.strip_prefix('@') {
        if marker != "revoked" {
            return None;
        }
        revoked = true;
        first = fields.next()?;
    }
    let hosts = parse_hosts(first)?;
    let key_type = fields.next()?.to_string();
    let blob = STANDARD.decode(fields.next()?).ok()?;
    Some(Entry {
        line,
        revoked,
        hosts,
        key_type,
        blob,
    })
}

fn parse_hosts(field: &str) -> Option<Hosts> {
    if let Some(hashed) = field.strip_prefix("|1|") {
        let (salt, hash) = hashed.split_once('|')?;
        return Some(Hosts::Hashed {
            salt: STANDARD.decode(salt).ok()?,
            hash: STANDARD.decode(hash).ok()?,
        });
    }
    let patterns = field
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.strip_prefix('!') {
            Some(glob) => Pattern {
                negated: true,
                glob: glob.to_ascii_lowercase(),
            },
            None => Pattern {
                negated: false,
                glob: p.to_ascii_lowercase(),
            },
        })
        .collect();
    Some(Hosts::Patterns(patterns))
}

impl Hosts {
    fn matches(&self, host: &str) -> bool {
        match self {
            Hosts::Patterns(patterns) => {
                // A matching negated pattern vetoes the whole line.
                let hits: Vec<&Pattern> = patterns
                    .iter()
                    .filter(|p| glob_match(&p.glob, host))
                    .collect();
                !hits.is_empty() && hits.iter().all(|p| !p.negated)
            }
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(host.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
        }
    }
}

/// OpenSSH globbing: `*` matches any run of characters, `?` exactly one.
///
/// Greedy, with one backtrack point: the last `*` seen. When a later literal
/// fails, only that star takes one more character; earlier stars never need
/// to, because the last star can absorb whatever they would. So the cost is
/// at most `glob.len() * text.len()` steps, never exponential: a line of
/// thirty stars costs what one does (a recursive matcher took 11 s per host).
fn glob_match(glob: &str, text: &str) -> bool {
    let (glob, text) = (glob.as_bytes(), text.as_bytes());
    let (mut g, mut t) = (0, 0);
    // Where the pattern resumes after the last star, and the text position
    // that star's match ends at so far.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(b'*') => {
                g += 1;
                star = Some((g, t));
            }
            Some(&c) if c == b'?' || c == text[t] => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((after_star, absorbed)) => {
                    g = after_star;
                    t = absorbed + 1;
                    star = Some((after_star, t));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == b'*')
}

/// The name OpenSSH looks up and records for a host: the bare address for
/// port 22, `[address]:port` otherwise.
pub fn host_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_string()
    } else {
        format!("[{address}]:{port}")
    }
}

/// The key type named inside a public key blob (`ssh-ed25519`, `ssh-rsa`...).
pub fn key_type(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4usize.checked_add(len)?)?;
    String::from_utf8(name.to_vec()).ok()
}

/// `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l`
/// prints it.
pub fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// The known_hosts line (without newline) that trusts `blob` for `host`.
pub fn entry_line(host: &str, key_type: &str, blob: &[u8]) -> String {
    format!("{host} {key_type} {}", STANDARD.encode(blob))
}

/// What `record` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The key was appended.
    Added,
    /// The file already trusted the key when the lock was taken (another
    /// inventory entry for the same address recorded it first).
    AlreadyTrusted,
    /// The file changed meanwhile and now refuses the key: this verdict.
    Refused(Verdict),
}

/// Record `blob` for `host` in a known_hosts file, creating the file (mode
/// 0600, and its directory with mode 0700) if missing, and only if the file
/// still does not know the host. Concurrent writers (threads of this run,
/// other runs) are serialised by an exclusive `flock` on the file, and the
/// file is read again under the lock, so a key is recorded once however many
/// inventory entries share an address. A file whose last line lacks its
/// newline gets one first, so the new entry never joins the old last line.
pub fn record(path: &Path, host: &str, key_type: &str, blob: &[u8]) -> io::Result<Recorded> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    // SAFETY: a valid descriptor owned by `file`; the lock goes with it.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    match KnownHosts::parse(&String::from_utf8_lossy(&bytes)).check(host, blob) {
        Verdict::Match { .. } => return Ok(Recorded::AlreadyTrusted),
        Verdict::NotFound => {}
        refused => return Ok(Recorded::Refused(refused)),
    }
    let separator = match bytes.last() {
        Some(b'\n') | None => "",
        Some(_) => "\n",
    };
    file.write_all(format!("{separator}{}\n", entry_line(host, key_type, blob)).as_bytes())?;
    Ok(Recorded::Added)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Keys made with `ssh-keygen -t ed25519`; KEY_A's fingerprint is from
    // `ssh-keygen -lf`.
    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIHwrjeBszd77GQLJw6Kfdm/oTg2xZyA+5Lo/Jfn3C2VZ";
    const KEY_A_FINGERPRINT: &str = "SHA256:4H57E20B+TqwtPGJtWbwdF7jPFDeXseqnLhW3ZSdDlI";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIAFBdGUWG4EEEjCVd/JnL5spacdZaGBUdfFrq8+r1jOp";

    // `ssh-keygen -H -f` of a file holding KEY_A for `[127.0.0.1]:2222`
    // (line 1) and for `cp-1.example.com` (line 2).
    const HASHED: &str = "\
|1|xTfve4eQBKxiToyZXB8Q3319bzI=|gVoXDYr8tyT0OQkTw6yMjFnqOvg= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHwrjeBszd77GQLJw6Kfdm/oTg2xZyA+5Lo/Jfn3C2VZ
|1|GtO8x06xeRxJNBUc3gAAvAyVSyg=|40XTsyHdbv5zp2dkHg2OhhD0lfs= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHwrjeBszd77GQLJw6Kfdm/oTg2xZyA+5Lo/Jfn3C2VZ
";

    fn blob(key: &str) -> Vec<u8> {
        STANDARD.decode(key).unwrap()
    }

    #[track_caller]
    fn case(file: &str, host: &str, key: &str, expected: Verdict) {
        let file = file.replace("KEY_A", KEY_A).replace("KEY_B", KEY_B);
        assert_eq!(
            KnownHosts::parse(&file).check(host, &blob(key)),
            expected,
            "file:\n{file}"
        );
    }

    #[test]
    fn check() {
        use Verdict::*;
        let mismatch = |line| Mismatch {
            line,
            key_type: "ssh-ed25519".to_string(),
        };
        case("", "10.0.0.1", KEY_A, NotFound);
        case(
            "10.0.0.1 ssh-ed25519 KEY_A\n",
            "10.0.0.1",
            KEY_A,
            Match { line: 1 },
        );
        case(
            "10.0.0.1 ssh-ed25519 KEY_A\n",
            "10.0.0.1",
            KEY_B,
            mismatch(1),
        );
        case("10.0.0.1 ssh-ed25519 KEY_A\n", "10.0.0.2", KEY_A, NotFound);
        // Comments, blank lines, trailing comments and a malformed line.
        case(
            "# c\n\n10.0.0.1 ssh-ed25519\n10.0.0.1 ssh-ed25519 KEY_A comment\n",
            "10.0.0.1",
            KEY_A,
            Match { line: 4 },
        );
        // Comma lists and case-insensitivity.
        case(
            "cp-1,10.0.0.1 ssh-ed25519 KEY_A\n",
            "10.0.0.1",
            KEY_A,
            Match { line: 1 },
        );
        case(
            "CP-1.Example.com ssh-ed25519 KEY_A\n",
            "cp-1.example.com",
            KEY_A,
            Match { line: 1 },
        );
        // A port entry matches only its port; a bare name only port 22.
        case(
            "[10.0.0.1]:2222 ssh-ed25519 KEY_A\n",
            "[10.0.0.1]:2222",
            KEY_A,
            Match { line: 1 },
        );
        case(
            "[10.0.0.1]:2222 ssh-ed25519 KEY_A\n",
            "10.0.0.1",
            KEY_A,
            NotFound,
        );
        case(
            "[10.0.0.1]:2222 ssh-ed25519 KEY_A\n",
            "[10.0.0.1]:2223",
            KEY_A,
            NotFound,
        );
        case(
            "10.0.0.1 ssh-ed25519 KEY_A\n",
            "[10.0.0.1]:2222",
            KEY_A,
            NotFound,
        );
        // Wildcards and negation.
        case(
            "10.0.0.* ssh-ed25519 KEY_A\n",
            "10.0.0.17",
            KEY_A,
            Match { line: 1 },
        );
        case("10.0.0.? ssh-ed25519 KEY_A\n", "10.0.0.17", KEY_A, NotFound);
        case(
            "10.0.0.*,!10.0.0.17 ssh-ed25519 KEY_A\n",
            "10.0.0.17",
            KEY_A,
            NotFound,
        );
        case(
            "10.0.0.*,!10.0.0.17 ssh-ed25519 KEY_A\n",
            "10.0.0.18",
            KEY_A,
            Match { line: 1 },
        );
        case(
            "!10.0.0.17 ssh-ed25519 KEY_A\n",
            "10.0.0.18",
            KEY_A,
            NotFound,
        );
        // Any matching line wins over a differing one.
        case(
            "h ssh-ed25519 KEY_B\nh ssh-ed25519 KEY_A\n",
            "h",
            KEY_A,
            Match { line: 2 },
        );
        // The mismatch names an entry of the offered type if there is one.
        case(
            "h ssh-rsa KEY_B\nh ssh-ed25519 KEY_B\n",
            "h",
            KEY_A,
            mismatch(2),
        );
        // @revoked refuses the key even when a plain line trusts it, only
        // for hosts its patterns name; it never trusts a key by itself.
        case(
            "h ssh-ed25519 KEY_A\n@revoked * ssh-ed25519 KEY_A\n",
            "h",
            KEY_A,
            Revoked { line: 2 },
        );
        case(
            "@revoked other ssh-ed25519 KEY_A\nh ssh-ed25519 KEY_A\n",
            "h",
            KEY_A,
            Match { line: 2 },
        );
        case("@revoked h ssh-ed25519 KEY_B\n", "h", KEY_A, NotFound);
        // @cert-authority and unknown markers are skipped.
        case(
            "@cert-authority h ssh-ed25519 KEY_A\n",
            "h",
            KEY_A,
            NotFound,
        );
        case(
            "@cert-authority h ssh-ed25519 KEY_B\n",
            "h",
            KEY_A,
            NotFound,
        );
        case("@future h ssh-ed25519 KEY_A\n", "h", KEY_A, NotFound);
        // Hashed names (made by ssh-keygen -H), with a port and without.
        case(HASHED, "[127.0.0.1]:2222", KEY_A, Match { line: 1 });
        case(HASHED, "cp-1.example.com", KEY_A, Match { line: 2 });
        case(HASHED, "cp-1.example.com", KEY_B, mismatch(2));
        case(HASHED, "127.0.0.1", KEY_A, NotFound);
        case(HASHED, "[127.0.0.1]:2223", KEY_A, NotFound);
        case("|1|bad|bad ssh-ed25519 KEY_A\n", "h", KEY_A, NotFound);
    }

    #[test]
    fn globs() {
        #[track_caller]
        fn case(glob: &str, text: &str, expected: bool) {
            assert_eq!(glob_match(glob, text), expected, "{glob:?} against {text:?}");
        }
        case("", "", true);
        case("", "a", false);
        case("*", "", true);
        case("*", "10.0.0.1", true);
        case("?", "", false);
        case("?", "a", true);
        case("?", "ab", false);
        case("10.0.0.1", "10.0.0.1", true);
        case("10.0.0.1", "10.0.0.10", false);
        case("10.0.0.*", "10.0.0.17", true);
        case("10.0.0.?", "10.0.0.17", false);
        case("10.0.0.??", "10.0.0.17", true);
        case("*.example.com", "cp-1.example.com", true);
        case("*.example.com", "example.com", false);
        case("cp-*.example.*", "cp-1.example.com", true);
        case("*a*b", "xaxbxb", true);
        case("*a*b", "xaxbxc", false);
        // The star must give back what a later literal needs, more than once.
        case("*ab*ab", "aabaab", true);
        case("a*aab", "aaaab", true);
        case("a*?b", "ab", false);
        case("a*?b", "axb", true);
        case("[10.0.0.1]:*", "[10.0.0.1]:2222", true);
        case("**", "abc", true);
        case("*?*?*", "a", false);
        case("*?*?*", "ab", true);
        // The pathological lines: thirty stars before a literal that never
        // matches, and one that does. A recursive matcher takes seconds.
        let stars = "*".repeat(30);
        case(&format!("{stars}x"), "127.0.40.1.example.com", false);
        case(&format!("{stars}m"), "127.0.40.1.example.com", true);
        case(&"*a".repeat(30), &"a".repeat(60), true);
        case(&format!("{}b", "*a".repeat(30)), &"a".repeat(200), false);
    }

    #[test]
    fn thirty_stars_in_known_hosts() {
        let file = format!("{}x ssh-ed25519 {KEY_A}\n{}1 ssh-ed25519 {KEY_A}\n", "*".repeat(30), "*".repeat(30));
        let known = KnownHosts::parse(&file);
        assert_eq!(known.check("127.0.40.1", &blob(KEY_A)), Verdict::Match { line: 2 });
        assert_eq!(known.check("127.0.40.2", &blob(KEY_A)), Verdict::NotFound);
    }

    #[test]
    fn key_types_lists_trusted_types_in_order() {
        let file = format!("h ssh-rsa {KEY_B}\n@revoked h ecdsa-sha2-nistp256 {KEY_B}\nh ssh-ed25519 {KEY_A}\nh ssh-rsa {KEY_A}\n");
        assert_eq!(
            KnownHosts::parse(&file).key_types("h"),
            ["ssh-rsa", "ssh-ed25519"]
        );
        assert_eq!(
            KnownHosts::parse(&file).key_types("other"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn names_and_fingerprints() {
        assert_eq!(host_name("10.0.0.1", 22), "10.0.0.1");
        assert_eq!(host_name("10.0.0.1", 2222), "[10.0.0.1]:2222");
        assert_eq!(key_type(&blob(KEY_A)).as_deref(), Some("ssh-ed25519"));
        assert_eq!(key_type(&[0, 0, 0, 9, b'x']), None);
        assert_eq!(fingerprint(&blob(KEY_A)), KEY_A_FINGERPRINT);
        assert_eq!(
            entry_line("h", "ssh-ed25519", &blob(KEY_A)),
            format!("h ssh-ed25519 {KEY_A}")
        );
    }

    #[test]
    fn record_creates_a_private_file_and_writes_each_key_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh/known_hosts");
        let (a, b) = (blob(KEY_A), blob(KEY_B));
        assert_eq!(record(&path, "h1", "ssh-ed25519", &a).unwrap(), Recorded::Added);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(record(&path, "h1", "ssh-ed25519", &a).unwrap(), Recorded::AlreadyTrusted);
        assert_eq!(
            record(&path, "h1", "ssh-ed25519", &b).unwrap(),
            Recorded::Refused(Verdict::Mismatch { line: 1, key_type: "ssh-ed25519".to_string() })
        );
        assert_eq!(record(&path, "h2", "ssh-ed25519", &b).unwrap(), Recorded::Added);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("h1 ssh-ed25519 {KEY_A}\nh2 ssh-ed25519 {KEY_B}\n")
        );
        std::fs::write(&path, "a ssh-ed25519 X\nno-newline").unwrap();
        assert_eq!(record(&path, "h3", "ssh-ed25519", &a).unwrap(), Recorded::Added);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("a ssh-ed25519 X\nno-newline\nh3 ssh-ed25519 {KEY_A}\n")
        );
    }

    #[test]
    fn concurrent_records_of_one_key_write_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let barrier = std::sync::Barrier::new(8);
        let outcomes: Vec<Recorded> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        record(&path, "[127.0.0.1]:2222", "ssh-ed25519", &blob(KEY_A)).unwrap()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| **o == Recorded::Added).count(), 1, "{outcomes:?}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("[127.0.0.1]:2222 ssh-ed25519 {KEY_A}\n")
        );
    }
}
