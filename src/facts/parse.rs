//! Parses the gathering script's framed output into `Facts`. Pure: no IO.
//!
//! The stream format is documented at the top of `src/gather.sh`: a header
//! line, records of space-separated fields ending in a newline, where a
//! variable field is a `~` literal, base64, or bytes framed by their count
//! (`=LEN:BYTES`), and an `END <count>` trailer. Anything else (a record the
//! script cannot print, a missing trailer, a wrong count, a frame that runs
//! past the stream) is a `ParseError` naming the line, so a truncated or
//! tampered stream is never mistaken for facts.

use super::{
    CertFact, Document, Facts, FileFact, FileKind, FileStat, FingerprintMethod, Listing, Owner, Process, StartedBy,
    VersionFact, VersionSource,
};
use base64::Engine;
use sha2::Digest;

/// The first line of every stream this parser understands.
pub const HEADER: &str = "HARDBENCH-FACTS 2";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

pub fn parse(stream: &[u8]) -> Result<Facts, ParseError> {
    let header_end = stream.iter().position(|&b| b == b'\n').unwrap_or(stream.len());
    let first = &stream[..header_end];
    if stream.is_empty() {
        return Err(ParseError { line: 1, message: "empty stream: no header".into() });
    }
    if first != HEADER.as_bytes() {
        return Err(ParseError {
            line: 1,
            message: format!("expected header `{HEADER}`, found `{}`", shown(first)),
        });
    }
    let mut state = State::default();
    let mut at = header_end + 1;
    // Errors name the line the record starts on; a framed field may hold
    // newlines, so lines are counted record by record.
    let mut line = 2;
    while at < stream.len() {
        let fail = |message: String| ParseError { line, message };
        let (fields, next) = record(stream, at).map_err(fail)?;
        let start = at;
        at = next;
        if fields[0] == Field::Word("END") {
            let count = state.records;
            finish_end(&fields, count).map_err(fail)?;
            if at != stream.len() {
                return Err(ParseError { line: line + 1, message: "data after the END trailer".into() });
            }
            return Ok(state.finish());
        }
        state.record(&fields).map_err(fail)?;
        state.records += 1;
        line += stream[start..at].iter().filter(|&&b| b == b'\n').count();
    }
    Err(ParseError {
        line: 1 + stream.iter().filter(|&&b| b == b'\n').count() + usize::from(!stream.ends_with(b"\n")),
        message: "truncated: no END trailer".into(),
    })
}

/// A field of a record: a word (a keyword, a number, `.`, `-`, a `~`
/// literal or base64), or bytes framed by their count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field<'a> {
    Word(&'a str),
    Raw(&'a [u8]),
}

impl Field<'_> {
    /// The word, or "" for framed bytes, so that no frame matches a keyword.
    fn word(&self) -> &str {
        match self {
            Field::Word(word) => word,
            Field::Raw(_) => "",
        }
    }
}

/// The record that starts at `at`: its fields, and where the next one
/// starts. A word is printable ASCII up to a space or the newline; a field
/// `=LEN:` takes the LEN bytes after the colon, whatever they are.
fn record(stream: &[u8], mut at: usize) -> Result<(Vec<Field<'_>>, usize), String> {
    let mut fields = Vec::new();
    loop {
        let rest = &stream[at..];
        if let Some(frame) = rest.strip_prefix(b"=") {
            let digits = frame.iter().take_while(|b| b.is_ascii_digit()).count();
            let len: Option<usize> = std::str::from_utf8(&frame[..digits]).ok().and_then(|d| d.parse().ok());
            let (Some(len), Some(b':')) = (len.filter(|_| digits > 0 && digits <= 10), frame.get(digits)) else {
                return Err(format!("bad frame `{}`", shown(&rest[..rest.len().min(24)])));
            };
            let start = at + 1 + digits + 1;
            let end = start.checked_add(len).filter(|&end| end <= stream.len()).ok_or_else(|| {
                format!("a frame of {len} bytes runs past the end of the stream ({} left)", stream.len() - start.min(stream.len()))
            })?;
            fields.push(Field::Raw(&stream[start..end]));
            at = end;
        } else {
            let len = rest.iter().position(|&b| b == b' ' || b == b'\n').unwrap_or(rest.len());
            let word = std::str::from_utf8(&rest[..len])
                .ok()
                .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_graphic()))
                .ok_or_else(|| format!("not a record: `{}`", shown(line_of(rest))))?;
            fields.push(Field::Word(word));
            at += len;
        }
        match stream.get(at) {
            Some(b' ') => at += 1,
            Some(b'\n') => return Ok((fields, at + 1)),
            // A complete stream may lack its final newline.
            None if !matches!(fields.last(), Some(Field::Raw(_))) => return Ok((fields, at)),
            _ => return Err(format!("not a record: `{}` has no newline at its end", shown(line_of(&stream[at - at.min(60)..])))),
        }
    }
}

/// The text up to the next newline, for messages.
fn line_of(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len())]
}

fn finish_end(fields: &[Field], count: usize) -> Result<(), String> {
    let [_, claimed] = fields else {
        return Err(format!("END: expected 1 field, found {}", fields.len() - 1));
    };
    let claimed: usize = number(claimed, "record count")?;
    if claimed != count {
        return Err(format!("END claims {claimed} records, the stream has {count}"));
    }
    Ok(())
}

#[derive(Default)]
struct State {
    facts: Facts,
    records: usize,
    identity_seen: bool,
}

impl State {
    fn record(&mut self, fields: &[Field]) -> Result<(), String> {
        let (tag, rest) = (fields[0].word(), &fields[1..]);
        match tag {
            "IDENTITY" => self.identity(rest),
            "PROBLEM" => {
                let [problem] = arity::<1>(tag, rest)?;
                self.facts.problems.push(text(problem)?);
                Ok(())
            }
            "PROC" => self.process(rest),
            "ENV" => self.env(rest),
            "STAT" => self.stat(rest),
            "LIST" => self.listing(rest),
            "ENTRY" => self.entry(rest),
            "DOC" => self.document(rest),
            "VERSION" => self.version(rest),
            "CERT" => self.certificate(rest),
            _ => Err(format!("unknown record `{}`", shown(tag.as_bytes()))),
        }
    }

    fn identity(&mut self, rest: &[Field]) -> Result<(), String> {
        let [hostname, machine_id, user] = arity::<3>("IDENTITY", rest)?;
        if self.identity_seen {
            return Err("IDENTITY given twice".into());
        }
        self.identity_seen = true;
        let identity = &mut self.facts.identity;
        identity.hostname = optional_text(hostname)?;
        identity.machine_id = optional_text(machine_id)?.map(|id| id.trim_end().to_string());
        identity.effective_user = optional_text(user)?;
        Ok(())
    }

    fn process(&mut self, rest: &[Field]) -> Result<(), String> {
        let [pid, name, argv, cwd, uid, euid, cgroup] = arity::<7>("PROC", rest)?;
        let pid = number(pid, "pid")?;
        let name = process_name(name)?;
        let raw = argv_bytes(argv)?;
        // /proc/PID/cmdline ends each element with NUL, the last one too.
        let raw = raw.strip_suffix(b"\0").unwrap_or(&raw);
        if raw.is_empty() {
            return Err(format!("process {pid} has an empty argv"));
        }
        let argv = title_words(raw.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect());
        let cwd = optional_text(cwd)?;
        let cgroup = optional_text(cgroup)?;
        let owner = Owner {
            uid: number(uid, "uid")?,
            euid: number(euid, "euid")?,
            started_by: StartedBy::from_cgroup(cgroup.as_deref()),
            cgroup,
        };
        self.facts.processes.push(Process { name, pid, argv, cwd, env: Vec::new(), owner: Some(owner) });
        Ok(())
    }

    fn env(&mut self, rest: &[Field]) -> Result<(), String> {
        let [pid, name, value] = arity::<3>("ENV", rest)?;
        let pid: u32 = number(pid, "pid")?;
        let (name, value) = (text(name)?, text(value)?);
        // The script sends only the variables the plan's prefixes name,
        // never one whose name says it holds a secret; refusing such a name
        // here too means a wrong script cannot put one into the facts.
        if !is_env_name(&name) || is_secret_env_name(&name) {
            return Err(format!("ENV variable `{}` is not one a plan can ask for", shown(name.as_bytes())));
        }
        let process = self
            .facts
            .processes
            .iter_mut()
            .rev()
            .find(|p| p.pid == pid)
            .ok_or_else(|| format!("ENV for process {pid}, which has no PROC record before it"))?;
        process.env.push((name, value));
        Ok(())
    }

    fn stat(&mut self, rest: &[Field]) -> Result<(), String> {
        let (path, fact) = match rest {
            [path, Field::Word("missing")] => (path, FileFact::Missing),
            [path, Field::Word("error"), reason] => (path, FileFact::Error { reason: text(reason)? }),
            [path, Field::Word("present"), Field::Word(kind), mode, uid, gid, user, group] => {
                let kind = match *kind {
                    "f" => FileKind::File,
                    "d" => FileKind::Directory,
                    "l" => FileKind::Symlink,
                    "o" => FileKind::Other,
                    other => return Err(format!("unknown file kind `{}`", shown(other.as_bytes()))),
                };
                let stat = FileStat {
                    kind,
                    mode: mode_bits(mode)?,
                    uid: number(uid, "uid")?,
                    gid: number(gid, "gid")?,
                    user: optional_text(user)?,
                    group: optional_text(group)?,
                };
                (path, FileFact::Present(stat))
            }
            _ => return Err(shape_error("STAT", rest, "<path> present|missing|error ...")),
        };
        // The script stats each path once; should two raw paths read the
        // same after lossy UTF-8 conversion, the first one stands.
        self.facts.files.entry(text(path)?).or_insert(fact);
        Ok(())
    }

    fn listing(&mut self, rest: &[Field]) -> Result<(), String> {
        let (dir, listing) = match rest {
            [dir, Field::Word("entries")] => (dir, Listing::Entries { entries: Vec::new() }),
            [dir, Field::Word("missing")] => (dir, Listing::Missing),
            [dir, Field::Word("error"), reason] => (dir, Listing::Error { reason: text(reason)? }),
            _ => return Err(shape_error("LIST", rest, "<dir> entries|missing|error ...")),
        };
        self.facts.listings.entry(text(dir)?).or_insert(listing);
        Ok(())
    }

    fn entry(&mut self, rest: &[Field]) -> Result<(), String> {
        let [dir, path] = arity::<2>("ENTRY", rest)?;
        let dir = text(dir)?;
        match self.facts.listings.get_mut(&dir) {
            Some(Listing::Entries { entries }) => {
                entries.push(text(path)?);
                Ok(())
            }
            _ => Err(format!("ENTRY for `{dir}`, which has no `LIST entries` record before it")),
        }
    }

    fn document(&mut self, rest: &[Field]) -> Result<(), String> {
        let (path, document) = match rest {
            [path, Field::Word("text"), Field::Word(truncated), content] => {
                let truncated = match *truncated {
                    "0" => false,
                    "1" => true,
                    other => return Err(format!("truncated flag `{}` is not 0 or 1", shown(other.as_bytes()))),
                };
                (path, Document::Text { content: text(content)?, truncated })
            }
            [path, Field::Word("missing")] => (path, Document::Missing),
            [path, Field::Word("error"), reason] => (path, Document::Error { reason: text(reason)? }),
            _ => return Err(shape_error("DOC", rest, "<path> text|missing|error ...")),
        };
        self.facts.documents.entry(text(path)?).or_insert(document);
        Ok(())
    }

    fn version(&mut self, rest: &[Field]) -> Result<(), String> {
        let (component, version) = match rest {
            [component, Field::Word("image"), image, manifest] => (component, image_version(text(image)?, text(manifest)?)),
            [component, Field::Word("executed"), output, binary] => (
                component,
                VersionFact::Reported {
                    text: text(output)?,
                    source: Some(VersionSource::Executed { binary: text(binary)? }),
                },
            ),
            [component, Field::Word("error"), reason] => (component, VersionFact::Error { reason: text(reason)? }),
            _ => return Err(shape_error("VERSION", rest, "<component> image|executed|error ...")),
        };
        let name = process_name(component)?;
        self.facts.versions.entry(name).or_insert(version);
        Ok(())
    }

    fn certificate(&mut self, rest: &[Field]) -> Result<(), String> {
        let (path, fact) = match rest {
            [path, Field::Word("pem"), pem] => (path, certificate_fingerprint(&bytes(pem)?)),
            [path, Field::Word("missing")] => (path, CertFact::Missing),
            [path, Field::Word("error"), reason] => (path, CertFact::Error { reason: text(reason)? }),
            _ => return Err(shape_error("CERT", rest, "<path> pem|missing|error ...")),
        };
        self.facts.certificates.entry(text(path)?).or_insert(fact);
        Ok(())
    }

    fn finish(mut self) -> Facts {
        for listing in self.facts.listings.values_mut() {
            if let Listing::Entries { entries } = listing {
                entries.sort();
                entries.dedup();
            }
        }
        self.facts
    }
}

/// The version a static pod manifest's image names: its tag
/// (`registry.k8s.io/kube-apiserver:v1.33.4`, a digest after it ignored).
fn image_version(image: String, manifest: String) -> VersionFact {
    let named = image.split('@').next().unwrap_or_default();
    let last = named.rsplit('/').next().unwrap_or_default();
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() => VersionFact::Reported {
            text: tag.to_string(),
            source: Some(VersionSource::ManifestImage { manifest, image }),
        },
        _ => VersionFact::Error { reason: format!("the image {image} in {manifest} has no tag") },
    }
}

fn arity<'a, 'f, const N: usize>(tag: &str, rest: &'f [Field<'a>]) -> Result<&'f [Field<'a>; N], String> {
    <&[Field; N]>::try_from(rest).map_err(|_| format!("{tag}: expected {N} fields, found {}", rest.len()))
}

fn shape_error(tag: &str, rest: &[Field], expected: &str) -> String {
    let state = rest.get(1).map(|s| shown(s.word().as_bytes())).unwrap_or_default();
    format!("{tag}: expected `{tag} {expected}`, found {} fields (state `{state}`)", rest.len())
}

/// The bytes the script writes verbatim behind `~` (see `literal`).
const LITERAL_BYTES: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._:=,+@-";

/// A field's bytes: `.` is the empty string, `~VALUE` is VALUE verbatim
/// (the script writes a value made only of `LITERAL_BYTES` that way), a
/// frame is its bytes, any other word is base64.
fn bytes(field: &Field) -> Result<Vec<u8>, String> {
    let word = match field {
        Field::Raw(raw) => return Ok(raw.to_vec()),
        Field::Word(word) => *word,
    };
    if word == "." {
        return Ok(Vec::new());
    }
    if let Some(value) = word.strip_prefix('~') {
        return literal(value).map(|v| v.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD
        .decode(word)
        .map_err(|e| format!("bad base64 `{}`: {e}", shown(word.as_bytes())))
}

/// argv as /proc/PID/cmdline holds it (NUL after each element). The script
/// frames it as the lines `tr` made of it: a newline after each element,
/// and byte 1 for a newline inside one; or, when an element holds a
/// newline and the host has base64, as base64 of cmdline itself.
fn argv_bytes(field: &Field) -> Result<Vec<u8>, String> {
    let mut raw = bytes(field)?;
    if let Field::Raw(_) = field {
        for byte in &mut raw {
            *byte = match *byte {
                b'\n' => 0,
                1 => b'\n',
                other => other,
            };
        }
    }
    Ok(raw)
}

/// A `~` literal: non-empty and made of `LITERAL_BYTES` only, exactly what
/// the script writes that way, so a stray `~` is never read as a value.
fn literal(value: &str) -> Result<&str, String> {
    if value.is_empty() || !value.bytes().all(|b| LITERAL_BYTES.contains(&b)) {
        return Err(format!("bad literal `~{}`", shown(value.as_bytes())));
    }
    Ok(value)
}

/// A text field; bytes that are not UTF-8 become U+FFFD.
fn text(field: &Field) -> Result<String, String> {
    Ok(String::from_utf8_lossy(&bytes(field)?).into_owned())
}

/// A text field that may be absent (`-`).
fn optional_text(field: &Field) -> Result<Option<String>, String> {
    if *field == Field::Word("-") {
        return Ok(None);
    }
    text(field).map(Some)
}

fn number<T: std::str::FromStr>(field: &Field, what: &str) -> Result<T, String> {
    let word = field.word();
    let parsed = (!word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())).then(|| word.parse().ok()).flatten();
    parsed.ok_or_else(|| format!("{what} `{}` is not a number", shown(word.as_bytes())))
}

/// The fingerprint of a certificate file's first PEM certificate: the
/// SHA-256 of its DER bytes, as `openssl x509 -fingerprint -sha256` gives
/// it. The host sends the certificate itself (public), and the digest is
/// made here, with no program run on the host for it.
fn certificate_fingerprint(pem: &[u8]) -> CertFact {
    let text = String::from_utf8_lossy(pem);
    let body = text
        .split_once("-----BEGIN CERTIFICATE-----")
        .and_then(|(_, after)| after.split_once("-----END CERTIFICATE-----"))
        .map(|(body, _)| body);
    let Some(body) = body else {
        return CertFact::Error { reason: "no complete PEM certificate in it".into() };
    };
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(base64) {
        Ok(der) if !der.is_empty() => {
            let digest = sha2::Sha256::digest(&der);
            let pairs: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
            CertFact::Fingerprint { method: FingerprintMethod::X509Der, sha256: pairs.join(":") }
        }
        Ok(_) => CertFact::Error { reason: "an empty PEM certificate".into() },
        Err(e) => CertFact::Error { reason: format!("a PEM certificate that is not base64: {e}") },
    }
}

/// `stat %a`: octal permission bits, special bits included (`4755`).
fn mode_bits(field: &Field) -> Result<u32, String> {
    let field = field.word();
    let valid = !field.is_empty() && field.len() <= 4 && field.bytes().all(|b| (b'0'..=b'7').contains(&b));
    let mode = valid.then(|| u32::from_str_radix(field, 8).ok()).flatten();
    mode.ok_or_else(|| format!("mode `{}` is not octal permission bits", shown(field.as_bytes())))
}

/// A short, printable rendering of hostile input for error messages.
fn shown(raw: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(raw).escape_default().collect();
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// argv as the process shows it. A process that rewrote its title in place
/// (k3s and rke2 write `/usr/local/bin/k3s server` over their whole argv
/// area, as one string, with NULs after it when the original argv was
/// longer: gspt.SetProcTitle in pkg/cli/server/server.go) shows one element
/// with a space in its basename, and only empty ones after it; its words
/// are its argv.
fn title_words(argv: Vec<String>) -> Vec<String> {
    // The title's first word is the binary's path, so the space is in the
    // basename; a path with a space in a directory (`/opt/my app/k3s`) is
    // not a title.
    let basename = argv[0].rsplit('/').next().unwrap_or("");
    let rewritten = basename.contains(' ') && argv[1..].iter().all(String::is_empty);
    if rewritten {
        argv[0].split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
    } else {
        argv
    }
}

/// A process or component name as the plan gives it: letters, digits and
/// `._-`, beginning with a letter or digit (`src/platform.rs` ProcessMatch).
fn process_name(field: &Field) -> Result<String, String> {
    let field = field.word();
    let valid = field.len() <= 64
        && field.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && field.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if valid {
        Ok(field.to_string())
    } else {
        Err(format!("`{}` is not a process name", shown(field.as_bytes())))
    }
}

fn is_env_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Names that say they hold a secret (`K3S_TOKEN`, `..._PASSWORD`): never
/// facts, whatever prefix a platform names (gather.sh refuses them too).
pub fn is_secret_env_name(name: &str) -> bool {
    ["TOKEN", "PASSWORD", "PASSWD", "SECRET", "CREDENTIAL"].iter().any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b64(raw: &[u8]) -> String {
        if raw.is_empty() {
            return ".".into();
        }
        base64::engine::general_purpose::STANDARD.encode(raw)
    }

    /// A framed stream around `records`, with a correct trailer.
    fn stream(records: &[String]) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        for record in records {
            out.push_str(record);
            out.push('\n');
        }
        out.push_str(&format!("END {}\n", records.len()));
        out.into_bytes()
    }

    #[track_caller]
    fn parsed(records: &[String]) -> Facts {
        match parse(&stream(records)) {
            Ok(facts) => facts,
            Err(e) => panic!("{records:?} did not parse: {e}"),
        }
    }

    #[track_caller]
    fn case_error(input: &[u8], line: usize, needle: &str) {
        match parse(input) {
            Ok(facts) => panic!("{:?} parsed: {facts:?}", String::from_utf8_lossy(input)),
            Err(e) => {
                assert_eq!(e.line, line, "{e}");
                assert!(e.message.contains(needle), "`{e}` does not mention `{needle}`");
            }
        }
    }

    #[track_caller]
    fn case_record_error(record: &str, needle: &str) {
        case_error(&stream(&[record.to_string()]), 2, needle);
    }

    fn sample() -> Vec<String> {
        let argv = b"/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--v=2\0";
        vec![
            format!("IDENTITY {} {} {}", b64(b"node-1"), b64(b"0123abcd\n"), b64(b"root")),
            format!("PROC 42 kubelet {} {} 0 0 {}", b64(argv), b64(b"/"), b64(b"/system.slice/kubelet.service")),
            format!("PROC 7 etcd {} - 998 998 ~/system.slice/etcd.service", b64(b"etcd\0")),
            format!("PROC 1005 kube-apiserver {} - 65534 65534 -", b64(b"kube-apiserver\0--anonymous-auth=true\0")),
            format!("ENV 7 {} {}", b64(b"ETCD_DATA_DIR"), b64(b"/var/lib/etcd")),
            format!("STAT {} present f 4755 0 1234 {} -", b64(b"/usr/bin/x"), b64(b"root")),
            format!("STAT {} missing", b64(b"/nope")),
            format!("STAT {} error {}", b64(b"/root/x"), b64(b"stat: cannot statx: Permission denied")),
            format!("LIST {} entries", b64(b"/etc/kubernetes/pki")),
            format!("ENTRY {} {}", b64(b"/etc/kubernetes/pki"), b64(b"/etc/kubernetes/pki/z.crt")),
            format!("ENTRY {} {}", b64(b"/etc/kubernetes/pki"), b64(b"/etc/kubernetes/pki/a.crt")),
            format!("LIST {} missing", b64(b"/gone")),
            format!("DOC {} text 1 {}", b64(b"/etc/c.yaml"), b64(b"secret: REDACTED\n")),
            format!("DOC {} text 0 .", b64(b"/etc/empty.yaml")),
            format!("DOC {} missing", b64(b"/etc/none.yaml")),
            format!("VERSION kubelet executed {} ~/usr/bin/kubelet", b64(b"Kubernetes v1.33.4")),
            format!("VERSION etcd error {}", b64(b"timed out after 10s")),
            format!(
                "VERSION kube-apiserver image ~registry.k8s.io/kube-apiserver:v1.33.4 ~/etc/kubernetes/manifests/kube-apiserver.yaml"
            ),
            format!("PROBLEM {}", b64(b"timeout: not found")),
        ]
    }

    #[test]
    fn every_record_type() {
        let facts = parsed(&sample());
        assert_eq!(facts.identity.hostname.as_deref(), Some("node-1"));
        assert_eq!(facts.identity.machine_id.as_deref(), Some("0123abcd"));
        assert_eq!(facts.identity.effective_user.as_deref(), Some("root"));

        let kubelet = facts.process_named("kubelet").unwrap();
        assert_eq!(kubelet.pid, 42);
        assert_eq!(kubelet.argv, ["/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--v=2"]);
        assert_eq!(kubelet.cwd.as_deref(), Some("/"));
        let owner = kubelet.owner.as_ref().unwrap();
        assert_eq!((owner.uid, owner.euid), (0, 0));
        assert_eq!(owner.started_by, StartedBy::Service { unit: "kubelet.service".into() });
        let etcd = facts.process_named("etcd").unwrap();
        assert_eq!(etcd.cwd, None);
        assert_eq!(etcd.env, [("ETCD_DATA_DIR".to_string(), "/var/lib/etcd".to_string())]);
        assert_eq!(etcd.owner.as_ref().unwrap().uid, 998);
        // A nobody-owned kube-apiserver from no service is recorded, and
        // never judged as the component.
        assert_eq!(facts.processes.len(), 3);
        assert_eq!(facts.process_named("kube-apiserver"), None);
        let impostors = facts.impostors();
        assert_eq!(impostors.len(), 1, "{impostors:?}");
        assert_eq!((impostors[0].pid, impostors[0].uid, impostors[0].argv0.as_str()), (1005, Some(65534), "kube-apiserver"));

        assert_eq!(
            facts.files["/usr/bin/x"],
            FileFact::Present(FileStat {
                kind: FileKind::File,
                mode: 0o4755,
                uid: 0,
                gid: 1234,
                user: Some("root".into()),
                group: None,
            })
        );
        assert_eq!(facts.files["/nope"], FileFact::Missing);
        assert_eq!(
            facts.files["/root/x"],
            FileFact::Error { reason: "stat: cannot statx: Permission denied".into() }
        );
        assert_eq!(
            facts.listings["/etc/kubernetes/pki"],
            Listing::Entries {
                entries: vec!["/etc/kubernetes/pki/a.crt".into(), "/etc/kubernetes/pki/z.crt".into()]
            }
        );
        assert_eq!(facts.listings["/gone"], Listing::Missing);
        assert_eq!(
            facts.documents["/etc/c.yaml"],
            Document::Text { content: "secret: REDACTED\n".into(), truncated: true }
        );
        assert_eq!(facts.documents["/etc/empty.yaml"], Document::Text { content: String::new(), truncated: false });
        assert_eq!(facts.documents["/etc/none.yaml"], Document::Missing);
        assert_eq!(
            facts.versions["kubelet"],
            VersionFact::Reported {
                text: "Kubernetes v1.33.4".into(),
                source: Some(VersionSource::Executed { binary: "/usr/bin/kubelet".into() })
            }
        );
        assert_eq!(
            facts.versions["kube-apiserver"],
            VersionFact::Reported {
                text: "v1.33.4".into(),
                source: Some(VersionSource::ManifestImage {
                    manifest: "/etc/kubernetes/manifests/kube-apiserver.yaml".into(),
                    image: "registry.k8s.io/kube-apiserver:v1.33.4".into()
                })
            }
        );
        assert_eq!(facts.versions["etcd"], VersionFact::Error { reason: "timed out after 10s".into() });
        assert_eq!(facts.problems, ["timeout: not found"]);
    }

    #[test]
    fn file_kinds_and_modes() {
        #[track_caller]
        fn case(kind: &str, mode: &str, expected_kind: FileKind, expected_mode: u32) {
            let facts = parsed(&[format!("STAT {} present {kind} {mode} 0 0 - -", b64(b"/p"))]);
            let FileFact::Present(stat) = &facts.files["/p"] else { panic!("{facts:?}") };
            assert_eq!((stat.kind, stat.mode), (expected_kind, expected_mode));
        }
        case("f", "600", FileKind::File, 0o600);
        case("d", "1777", FileKind::Directory, 0o1777);
        case("l", "777", FileKind::Symlink, 0o777);
        case("o", "0", FileKind::Other, 0);
        case("f", "2644", FileKind::File, 0o2644);
        case("f", "4755", FileKind::File, 0o4755);
    }

    #[test]
    fn hostile_bytes_stay_inside_their_field() {
        // A file name with a newline and a quote, and one that is not UTF-8.
        let forged = b"/etc/x\nSTAT L2V0Yy9zaGFkb3c= present f 777 0 0 - -\n\"q";
        let facts = parsed(&[
            format!("LIST {} entries", b64(b"/d")),
            format!("ENTRY {} {}", b64(b"/d"), b64(forged)),
            format!("STAT {} missing", b64(forged)),
            format!("STAT {} missing", b64(b"/d/\xff\xfe")),
            format!("PROC 1 kube-proxy {} - 0 0 -", b64(b"kube-proxy\0--config=/\xffx\0")),
        ]);
        let forged = String::from_utf8_lossy(forged).into_owned();
        assert_eq!(facts.files.len(), 2);
        assert_eq!(facts.files[&forged], FileFact::Missing);
        assert!(!facts.files.contains_key("/etc/shadow"));
        assert_eq!(facts.files["/d/\u{fffd}\u{fffd}"], FileFact::Missing);
        assert_eq!(facts.listings["/d"], Listing::Entries { entries: vec![forged] });
        assert_eq!(facts.processes[0].argv, ["kube-proxy", "--config=/\u{fffd}x"]);
    }

    #[test]
    fn framing_errors() {
        let good = stream(&sample());
        let records = sample().len();
        case_error(b"", 1, "no header");
        case_error(b"HARDBENCH-FACTS 1\nEND 0\n", 1, "expected header");
        case_error(b"Last login: today\nHARDBENCH-FACTS 1\nEND 0\n", 1, "expected header");
        // Truncated: the trailer is missing, or the stream stops mid-record.
        case_error(&good[..good.len() - 8], records + 2, "no END trailer");
        let cut = good.len() / 2;
        assert!(parse(&good[..cut]).is_err());
        case_error(b"HARDBENCH-FACTS 2\nEND 3\n", 2, "claims 3 records");
        case_error(b"HARDBENCH-FACTS 2\nEND x\n", 2, "not a number");
        case_error(b"HARDBENCH-FACTS 2\nEND\n", 2, "expected 1 field");
        case_error(b"HARDBENCH-FACTS 2\nEND 0\nPROBLEM eA==\n", 3, "after the END");
        case_error(b"HARDBENCH-FACTS 2\n\nEND 0\n", 2, "not a record");
        case_error(b"HARDBENCH-FACTS 2\nPROBLEM \xff\nEND 1\n", 2, "not a record");
        case_error(b"HARDBENCH-FACTS 2\nPROBLEM eA==\r\nEND 1\n", 2, "not a record");
        // Without the final newline the stream is still complete.
        assert!(parse(b"HARDBENCH-FACTS 2\nEND 0").is_ok());
    }

    #[test]
    fn literal_fields_read_as_their_base64_would() {
        #[track_caller]
        fn case(value: &str) {
            let as_literal = parsed(&[format!("STAT ~{value} present f 600 0 0 ~root -")]);
            let as_base64 = parsed(&[format!("STAT {} present f 600 0 0 {} -", b64(value.as_bytes()), b64(b"root"))]);
            assert_eq!(as_literal, as_base64);
            assert!(as_literal.files.contains_key(value), "{:?}", as_literal.files);
        }
        case("/etc/kubernetes/kubelet.conf");
        case("/var/lib/kubelet/pki/kubelet-client-2024-01-01.pem");
        case("unix:/run/containerd/containerd.sock");
        case("a=b,c+d@e");
        case(".");
        case("-");
    }

    #[test]
    fn record_errors() {
        let p = b64(b"/p");
        let argv = b64(b"kubelet\0");
        case_record_error("BOGUS x", "unknown record `BOGUS`");
        case_record_error("PROBLEM", "PROBLEM: expected 1 fields, found 0");
        case_record_error("PROBLEM a b", "expected 1 fields, found 2");
        case_record_error("PROBLEM @@@@", "bad base64");
        case_record_error("PROBLEM eA", "bad base64");
        case_record_error("PROBLEM -", "bad base64");
        case_record_error(&format!("STAT {p} present f 644 0 0 -"), "STAT: expected");
        case_record_error(&format!("STAT {p} gone"), "STAT: expected");
        case_record_error(&format!("STAT {p} present x 644 0 0 - -"), "unknown file kind");
        case_record_error(&format!("STAT {p} present f 648 0 0 - -"), "mode `648`");
        case_record_error(&format!("STAT {p} present f 17777 0 0 - -"), "mode `17777`");
        case_record_error(&format!("STAT {p} present f rw 0 0 - -"), "mode `rw`");
        case_record_error(&format!("STAT {p} present f 644 -1 0 - -"), "uid `-1`");
        case_record_error(&format!("STAT {p} present f 644 0 99999999999 - -"), "gid `99999999999`");
        case_record_error(&format!("STAT {p} present f 644 +1 0 - -"), "uid `+1`");
        case_record_error("STAT - missing", "bad base64");
        case_record_error("PROBLEM ~", "bad literal `~`");
        case_record_error("PROBLEM ~a~b", "bad literal");
        case_record_error("PROBLEM ~a\"b", "bad literal");
        case_record_error("STAT ~/p* missing", "bad literal");
        case_record_error(&format!("PROC x kubelet {argv} - 0 0 -"), "pid `x`");
        case_record_error(&format!("PROC 1 kube/ctl {argv} - 0 0 -"), "`kube/ctl` is not a process name");
        case_record_error(&format!("PROC 1 . {argv} - 0 0 -"), "`.` is not a process name");
        case_record_error("PROC 1 kubelet . - 0 0 -", "empty argv");
        case_record_error(&format!("PROC 1 kubelet {argv} -"), "expected 7 fields");
        case_record_error(&format!("PROC 1 kubelet {argv} - - 0 -"), "uid `-`");
        case_record_error(&format!("PROC 1 kubelet {argv} - 0 x -"), "euid `x`");
        case_record_error(&format!("ENV 1 {} {}", b64(b"ETCD_X"), b64(b"y")), "no PROC record");
        case_record_error(&format!("LIST {p} done"), "LIST: expected");
        case_record_error(&format!("ENTRY {p} {p}"), "no `LIST entries` record");
        case_record_error(&format!("DOC {p} text 2 ."), "truncated flag `2`");
        case_record_error(&format!("DOC {p} text 0"), "DOC: expected");
        case_record_error(&format!("VERSION kube:ctl executed {p} {p}"), "not a process name");
        for name in [&b"K3S_TOKEN"[..], b"ETCD_PEER_PASSWORD", b"etcd_x", b"9X"] {
            let records = [format!("PROC 1 etcd {argv} - 0 0 -"), format!("ENV 1 {} {}", b64(name), b64(b"y"))];
            case_error(&stream(&records), 3, "not one a plan can ask for");
        }
        case_record_error(&format!("VERSION kubelet said {p}"), "VERSION: expected");
        case_record_error(&format!("VERSION kubelet reported {p}"), "VERSION: expected");
        case_record_error(&format!("VERSION kubelet executed {p}"), "VERSION: expected");
        case_record_error("IDENTITY - -", "expected 3 fields");
    }

    /// A certificate made by `openssl req -x509` for the tests, and the
    /// fingerprint `openssl x509 -noout -fingerprint -sha256` gives it.
    const TEST_CA: &str = include_str!("../../tests/data/test-ca.crt");
    const TEST_CA_SHA256: &str =
        "44:C6:BA:E1:5A:A4:5A:E3:53:C4:FD:55:DA:07:5C:FA:20:70:3B:9D:F9:34:FF:62:FC:54:5F:D5:AC:44:79:5B";

    #[test]
    fn certificates_are_fingerprinted_here_as_openssl_does() {
        let framed = |text: &str| format!("={}:{text}", text.len());
        let bundle = format!("{TEST_CA}{}", TEST_CA.replace("MIIB", "MIIC"));
        let facts = parsed(&[
            format!("CERT {} pem {}", b64(b"/pki/ca.crt"), framed(TEST_CA)),
            format!("CERT {} pem {}", b64(b"/pki/bundle.crt"), framed(&bundle)),
            format!("CERT {} pem {}", b64(b"/pki/crlf.crt"), framed(&TEST_CA.replace('\n', "\r\n"))),
            format!("CERT {} pem {}", b64(b"/pki/cut.crt"), framed(&TEST_CA[..200])),
            format!("CERT {} pem {}", b64(b"/pki/bad.crt"), framed("-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n")),
            format!("CERT {} missing", b64(b"/gone.crt")),
            format!("CERT {} error {}", b64(b"/root.crt"), b64(b"Permission denied")),
        ]);
        let fingerprint = CertFact::Fingerprint { method: FingerprintMethod::X509Der, sha256: TEST_CA_SHA256.into() };
        assert_eq!(facts.certificates["/pki/ca.crt"], fingerprint);
        // A bundle: its first certificate, as openssl reads it.
        assert_eq!(facts.certificates["/pki/bundle.crt"], fingerprint);
        assert_eq!(facts.certificates["/pki/crlf.crt"], fingerprint);
        assert!(matches!(&facts.certificates["/pki/cut.crt"], CertFact::Error { reason } if reason.contains("no complete")));
        assert!(matches!(&facts.certificates["/pki/bad.crt"], CertFact::Error { reason } if reason.contains("not base64")));
        assert_eq!(facts.certificates["/gone.crt"], CertFact::Missing);
        assert_eq!(facts.certificates["/root.crt"], CertFact::Error { reason: "Permission denied".into() });
        let p = b64(b"/p");
        case_record_error(&format!("CERT {p} x509-sha256 {}", "ab".repeat(32)), "CERT: expected");
        case_record_error(&format!("CERT {p} missing x"), "CERT: expected");
    }

    #[test]
    fn framed_fields_hold_any_byte_and_are_counted_exactly() {
        let mut stream = b"HARDBENCH-FACTS 2\n".to_vec();
        stream.extend_from_slice(b"DOC =8:/a b\nc\xff. text 0 =20:STAT ~/x missing\n \x01\n\n");
        stream.extend_from_slice(b"PROC 7 kubelet =21:/bin/kubelet\n--a=x\x01y\n =1:/ 0 0 -\n");
        stream.extend_from_slice(b"END 2\n");
        let facts = parse(&stream).unwrap();
        assert_eq!(
            facts.documents["/a b\nc\u{fffd}."],
            Document::Text { content: "STAT ~/x missing\n \u{1}\n".into(), truncated: false }
        );
        assert!(facts.files.is_empty());
        // Framed argv: a line per element, byte 1 for a newline inside one.
        assert_eq!(facts.processes[0].argv, ["/bin/kubelet", "--a=x\ny"]);
        assert_eq!(facts.processes[0].cwd.as_deref(), Some("/"));
        #[track_caller]
        fn case(record: &[u8], needle: &str) {
            let mut stream = b"HARDBENCH-FACTS 2\n".to_vec();
            stream.extend_from_slice(record);
            match parse(&stream) {
                Err(e) => assert!(e.message.contains(needle) && e.line == 2, "{e}"),
                Ok(facts) => panic!("{:?} parsed: {facts:?}", String::from_utf8_lossy(record)),
            }
        }
        // A record after a frame that holds newlines is named by its own line
        // (the frame ends in a newline, and the record after it with one).
        let after_frame = b"HARDBENCH-FACTS 2\nPROBLEM =4:a\nb\n\nBOGUS x\nEND 2\n";
        assert_eq!(parse(after_frame).unwrap_err().line, 5);
        case(b"PROBLEM =5:abc\nEND 1\n", "no newline at its end");
        case(b"PROBLEM =3:abc", "no newline at its end");
        case(b"PROBLEM =50:abc\nEND 1\n", "runs past the end");
        case(b"PROBLEM =:abc\nEND 1\n", "bad frame");
        case(b"PROBLEM =3abc\nEND 1\n", "bad frame");
        case(b"PROBLEM =99999999999999999999:x\nEND 1\n", "bad frame");
        case(b"PROBLEM =-1:x\nEND 1\n", "bad frame");
    }

    #[test]
    fn image_tags() {
        #[track_caller]
        fn case(image: &str, expected: Result<&str, &str>) {
            match (image_version(image.into(), "/m.yaml".into()), expected) {
                (VersionFact::Reported { text, .. }, Ok(tag)) => assert_eq!(text, tag),
                (VersionFact::Error { reason }, Err(needle)) => assert!(reason.contains(needle), "{reason}"),
                (got, expected) => panic!("{image}: {got:?}, expected {expected:?}"),
            }
        }
        case("registry.k8s.io/kube-apiserver:v1.33.4", Ok("v1.33.4"));
        case("registry.k8s.io/etcd:3.5.21-0", Ok("3.5.21-0"));
        case("mirror.local:5000/k8s/kube-scheduler:v1.32.1@sha256:abcd", Ok("v1.32.1"));
        case("kube-proxy:v1.34.0", Ok("v1.34.0"));
        case("mirror.local:5000/kube-apiserver", Err("has no tag"));
        case("registry.k8s.io/kube-apiserver@sha256:abcd", Err("has no tag"));
        case("kube-apiserver:", Err("has no tag"));
    }

    #[test]
    fn facts_saved_before_owners_and_version_sources_still_load() {
        let old = r#"{"identity":{"hostname":null,"machine_id":null,"effective_user":null},
            "processes":[{"component":"kube-apiserver","pid":1005,"argv":["kube-apiserver"],"cwd":null},
                         {"component":"kube-apiserver","pid":58,"argv":["kube-apiserver","--profiling=false"],"cwd":null}],
            "files":{},"listings":{},"documents":{},
            "versions":{"kubelet":{"state":"reported","text":"Kubernetes v1.33.4"}},"problems":[]}"#;
        let facts: Facts = serde_json::from_str(old).unwrap();
        assert_eq!(facts.versions["kubelet"], VersionFact::Reported { text: "Kubernetes v1.33.4".into(), source: None });
        // Without owners every process stands; the lowest PID is judged.
        assert_eq!(facts.process_named("kube-apiserver").unwrap().pid, 58);
        let json = serde_json::to_string(&facts).unwrap();
        assert!(!json.contains("owner") && !json.contains("source"), "{json}");
    }

    #[test]
    fn facts_saved_before_certificates_still_load() {
        let old = r#"{"identity":{"hostname":null,"machine_id":null,"effective_user":null},"processes":[],"files":{},"listings":{},"documents":{},"versions":{},"problems":[]}"#;
        let facts: Facts = serde_json::from_str(old).unwrap();
        assert!(facts.certificates.is_empty());
        assert!(!serde_json::to_string(&facts).unwrap().contains("certificates"));
    }

    #[test]
    fn a_rewritten_process_title_is_split_into_words() {
        let case = |raw: &[u8], want: &[&str]| {
            let record = format!("PROC 5 k3s {} - 0 0 -", b64(raw));
            let facts = parse(&stream(&[record])).unwrap();
            assert_eq!(facts.processes[0].argv, want, "{raw:?}");
        };
        // k3s and rke2: one string over the whole argv area, NULs after.
        case(b"/usr/local/bin/k3s server\0\0\0\0\0\0", &["/usr/local/bin/k3s", "server"]);
        case(b"/usr/local/bin/rke2 agent\0\0", &["/usr/local/bin/rke2", "agent"]);
        // The title exactly as long as the argv it replaced: no padding.
        case(b"/usr/local/bin/k3s agent\0", &["/usr/local/bin/k3s", "agent"]);
        // A path with a space and nothing rewritten stays whole.
        case(b"/opt/my app/k3s\0", &["/opt/my app/k3s"]);
        case(b"/opt/my app/k3s\0server\0", &["/opt/my app/k3s", "server"]);
    }

    #[test]
    fn env_names_a_plan_may_ask_for() {
        let proc_line = |name: &str| format!("PROC 5 {name} {} - 0 0 -", b64(b"x\0"));
        let env = |name: &[u8]| format!("ENV 5 {} {}", b64(name), b64(b"y"));
        // Any process may have variables reported (the platform names the
        // prefix), but never one whose name says it is a secret.
        let facts = parse(&stream(&[proc_line("k3s"), env(b"K3S_NODE_NAME")])).unwrap();
        assert_eq!(facts.processes[0].env, [("K3S_NODE_NAME".to_string(), "y".to_string())]);
        case_error(&stream(&[proc_line("k3s"), env(b"K3S_AGENT_TOKEN")]), 3, "not one a plan can ask for");
        case_error(&stream(&[proc_line("etcd"), env(b"PATH=x")]), 3, "not one a plan can ask for");
    }

    #[test]
    fn entry_after_missing_listing_is_an_error() {
        let records = [format!("LIST {} missing", b64(b"/d")), format!("ENTRY {} {}", b64(b"/d"), b64(b"/d/x"))];
        case_error(&stream(&records), 3, "no `LIST entries`");
    }

    #[test]
    fn identity_twice_is_an_error() {
        let identity = "IDENTITY - - -".to_string();
        case_error(&stream(&[identity.clone(), identity]), 3, "twice");
    }

    #[test]
    fn error_messages_do_not_echo_raw_control_bytes() {
        let err = parse(b"\x1b[31mHARDBENCH\nEND 0\n").unwrap_err();
        assert!(!err.message.contains('\x1b'), "{err}");
    }

    fn mutated(valid: Vec<u8>, edits: Vec<(usize, u8, u8)>) -> Vec<u8> {
        let mut bytes = valid;
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let at = at % bytes.len();
            match op % 3 {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        bytes
    }

    proptest! {
        #[test]
        fn never_panics_on_random_bytes(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&input);
        }

        #[test]
        fn never_panics_on_random_lines(lines in proptest::collection::vec("[A-Z]{2,8}( [A-Za-z0-9+/=.-]{0,12}){0,9}", 0..12)) {
            let mut input = format!("{HEADER}\n");
            for line in &lines {
                input.push_str(line);
                input.push('\n');
            }
            input.push_str(&format!("END {}\n", lines.len()));
            let _ = parse(input.as_bytes());
        }

        #[test]
        fn never_panics_on_mutated_streams(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let valid = stream(&sample());
            let mut input = mutated(valid, edits);
            let keep = cut % (input.len() + 1);
            let _ = parse(&input);
            input.truncate(keep);
            let _ = parse(&input);
        }
    }
}
