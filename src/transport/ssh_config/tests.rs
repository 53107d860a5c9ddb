//! The rules of ssh_config(5) that hardbench follows, each on a small
//! configuration; `agrees_with_ssh_minus_g` holds the same files against
//! OpenSSH's own reading (`ssh -G`).

use super::*;
use std::os::unix::fs::PermissionsExt;

/// A home directory with `.ssh/` and the given files (paths relative to
/// the home), each mode 0600.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(files: &[(&str, &str)]) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".ssh")).unwrap();
        let home = Home { dir };
        for (path, text) in files {
            home.write(path, text);
        }
        home
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn config(&self) -> SshConfig {
        SshConfig::read(&self.path().join(".ssh/config"), Some(self.path()))
            .unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    fn context(&self) -> Context<'_> {
        Context { home: Some(self.path()), local_user: Some("me"), user: None, port: None }
    }

    fn resolve(&self, host: &str) -> Resolved {
        self.config().resolve(host, &self.context()).unwrap()
    }

    /// Messages with the home directory shown as `~`.
    fn show(&self, problems: &[Problem]) -> Vec<String> {
        let home = self.path().display().to_string();
        problems.iter().map(|problem| problem.to_string().replace(&home, "~")).collect()
    }
}

/// The values of a resolution, as `(host_name, user, port, identity files,
/// proxy_jump, known hosts files)`, with the home shown as `~`, and where
/// each came from (`file:line`, the file relative to the home).
fn summary(home: &Home, resolved: &Resolved) -> Vec<String> {
    let at = |origin: &Origin| {
        let file = origin.file.strip_prefix(home.path()).unwrap_or(&origin.file).display().to_string();
        format!("{file}:{}", origin.line)
    };
    let home_text = home.path().display().to_string();
    let mut out = Vec::new();
    if let Some(found) = &resolved.host_name {
        out.push(format!("HostName {} ({})", found.value, at(&found.origin)));
    }
    if let Some(found) = &resolved.user {
        out.push(format!("User {} ({})", found.value, at(&found.origin)));
    }
    if let Some(found) = &resolved.port {
        out.push(format!("Port {} ({})", found.value, at(&found.origin)));
    }
    for found in &resolved.identity_files {
        out.push(format!("IdentityFile {} ({})", found.value.display().to_string().replace(&home_text, "~"), at(&found.origin)));
    }
    if let Some(found) = &resolved.proxy_jump {
        out.push(format!("ProxyJump {} ({})", found.value, at(&found.origin)));
    }
    if let Some(found) = &resolved.proxy_command {
        out.push(format!("ProxyCommand {} ({})", found.value, at(&found.origin)));
    }
    if let Some(found) = &resolved.user_known_hosts_files {
        let files: Vec<String> = found.value.iter().map(|file| file.display().to_string().replace(&home_text, "~")).collect();
        out.push(format!("UserKnownHostsFile {} ({})", files.join(" "), at(&found.origin)));
    }
    out
}

#[track_caller]
fn case(files: &[(&str, &str)], host: &str, expected: &[&str]) {
    let home = Home::new(files);
    assert_eq!(summary(&home, &home.resolve(host)), expected, "{host}");
}

const FIRST_WINS: &str = "\
Host cp-1
    HostName 10.0.0.11
    User first
Host cp-*
    User second
    Port 2201
Host *
    Port 22
    User last
";

#[test]
fn the_first_value_obtained_wins_across_blocks() {
    let files = [(".ssh/config", FIRST_WINS)];
    case(&files, "cp-1", &[
        "HostName 10.0.0.11 (.ssh/config:2)",
        "User first (.ssh/config:3)",
        "Port 2201 (.ssh/config:6)",
    ]);
    case(&files, "cp-2", &["User second (.ssh/config:5)", "Port 2201 (.ssh/config:6)"]);
    case(&files, "worker-1", &["User last (.ssh/config:9)", "Port 22 (.ssh/config:8)"]);
    // Lines before any Host apply to every host, and come first.
    case(&[(".ssh/config", "User top\nHost a\n  User a\n")], "a", &["User top (.ssh/config:1)"]);
}

#[test]
fn host_patterns_negation_and_case() {
    let config = "\
Host *.lan !bastion.lan
    User inner
Host bastion* ?p-9 a,b
    User outer
Host CP-1
    User upper
";
    let files = [(".ssh/config", config)];
    case(&files, "cp-1.lan", &["User inner (.ssh/config:2)"]);
    case(&files, "bastion.lan", &["User outer (.ssh/config:4)"]);
    case(&files, "cp-9", &["User outer (.ssh/config:4)"]);
    case(&files, "cp-10", &[]);
    // Host patterns are not comma lists; and they match case-sensitively.
    case(&files, "a", &[]);
    case(&files, "a,b", &["User outer (.ssh/config:4)"]);
    case(&files, "cp-1", &[]);
    case(&files, "CP-1", &["User upper (.ssh/config:6)"]);
}

#[test]
fn keywords_are_case_insensitive_with_either_separator_and_quotes() {
    let config = "\
HOST=a
  hostNAME = 10.0.0.1
  USER=\"audit user\"
  port=\t2222
  identityfile '~/.ssh/my key'
";
    case(&[(".ssh/config", config)], "a", &[
        "HostName 10.0.0.1 (.ssh/config:2)",
        "User audit user (.ssh/config:3)",
        "Port 2222 (.ssh/config:4)",
        "IdentityFile ~/.ssh/my key (.ssh/config:5)",
    ]);
}

#[test]
fn identity_files_accumulate_and_tokens_expand() {
    let config = "\
Host cp-*
    HostName %h.lan
    IdentityFile ~/.ssh/id_%n
    IdentityFile %d/keys/%r@%h:%p
    UserKnownHostsFile ~/.ssh/known_%h %d/.ssh/known_hosts2
Host *
    User audit
    IdentityFile ~/.ssh/id_ed25519
    IdentityFile ~/.ssh/id_cp-1
    IdentityFile /keys/%u_%%
";
    let files = [(".ssh/config", config)];
    case(&files, "cp-1", &[
        "HostName cp-1.lan (.ssh/config:2)",
        "User audit (.ssh/config:7)",
        "IdentityFile ~/.ssh/id_cp-1 (.ssh/config:3)",
        "IdentityFile ~/keys/audit@cp-1.lan:22 (.ssh/config:4)",
        "IdentityFile ~/.ssh/id_ed25519 (.ssh/config:8)",
        "IdentityFile /keys/me_% (.ssh/config:10)",
        "UserKnownHostsFile ~/.ssh/known_cp-1.lan ~/.ssh/known_hosts2 (.ssh/config:5)",
    ]);
    // A user and port given outside the file are the ones %r and %p name.
    let home = Home::new(&files);
    let context = Context { user: Some("root"), port: Some(2200), ..home.context() };
    let resolved = home.config().resolve("cp-1", &context).unwrap();
    assert_eq!(resolved.identity_files[1].value, home.path().join("keys/root@cp-1.lan:2200"));
    // A token that cannot be expanded is an error at its line.
    let home = Home::new(&[(".ssh/config", "Host a\n  IdentityFile ~/.ssh/%C\nHost b\n  HostName %p\n")]);
    let config = home.config();
    let error = |host| home.show(&[config.resolve(host, &home.context()).unwrap_err()]);
    assert_eq!(
        error("a"),
        ["~/.ssh/config:2:3: IdentityFile: token %C is not supported here (in \"~/.ssh/%C\"); \
          supported: %%, %d, %h, %n, %p, %r, %u"]
    );
    assert_eq!(error("b"), ["~/.ssh/config:4:3: HostName: token %p is not supported here (in \"%p\"); supported: %%, %h"]);
    // The other host is unaffected.
    assert!(config.resolve("c", &home.context()).is_ok());
}

#[test]
fn proxy_jump_is_kept_as_written_and_proxy_command_is_seen() {
    let config = "\
Host direct
    ProxyJump none
Host viacmd
    ProxyCommand ssh -W %h:%p gw
Host *
    ProxyJump audit@j1:2222,j2
    ProxyCommand nc %h %p
";
    let files = [(".ssh/config", config)];
    case(&files, "cp-1", &["ProxyJump audit@j1:2222,j2 (.ssh/config:6)"]);
    // `none` stops a later ProxyJump, but not a later ProxyCommand (as ssh -G).
    case(&files, "direct", &["ProxyCommand nc %h %p (.ssh/config:7)"]);
    case(&files, "viacmd", &["ProxyCommand ssh -W %h:%p gw (.ssh/config:4)"]);
}

#[test]
fn includes_are_read_in_place_under_their_block() {
    let config = "\
Include conf.d/*.conf
Host cp-*
    Include ~/.ssh/cp
    User after-include
Host worker-*
    Include /nonexistent/*.conf nested
Host *
    User default
";
    let files = [
        (".ssh/config", config),
        // Sorted by name: 10 before 20; hidden files and other names not taken.
        (".ssh/conf.d/20-b.conf", "Host cp-1\n    Port 2020\n"),
        (".ssh/conf.d/10-a.conf", "Host cp-1\n    Port 1010\nHost worker-1\n    HostName w1.lan\n"),
        (".ssh/conf.d/.hidden.conf", "Port 1\n"),
        (".ssh/conf.d/notes.txt", "Port 2\n"),
        // Lines before its first Host are under the including block; its
        // own Host blocks are too.
        (".ssh/cp", "User from-include\nHost cp-2\n    HostName cp-2.lan\n"),
        (".ssh/nested", "IdentityFile ~/.ssh/worker\nInclude deeper\n"),
        (".ssh/deeper", "HostName deeper.lan\n"),
    ];
    case(&files, "cp-1", &["User from-include (.ssh/cp:1)", "Port 1010 (.ssh/conf.d/10-a.conf:2)"]);
    case(&files, "cp-2", &["HostName cp-2.lan (.ssh/cp:3)", "User from-include (.ssh/cp:1)"]);
    case(&files, "worker-1", &[
        "HostName w1.lan (.ssh/conf.d/10-a.conf:4)",
        "User default (.ssh/config:8)",
        "IdentityFile ~/.ssh/worker (.ssh/nested:1)",
    ]);
    case(&files, "worker-2", &[
        "HostName deeper.lan (.ssh/deeper:1)",
        "User default (.ssh/config:8)",
        "IdentityFile ~/.ssh/worker (.ssh/nested:1)",
    ]);
    // Under a block that does not apply, an included file gives nothing,
    // even its `Host *`.
    let files = [
        (".ssh/config", "Host other\n    Include extra\nHost *\n    User default\n"),
        (".ssh/extra", "Host *\n    User from-extra\n"),
    ];
    case(&files, "cp-1", &["User default (.ssh/config:4)"]);
    case(&files, "other", &["User from-extra (.ssh/extra:2)"]);
}

#[test]
fn match_blocks_are_skipped_with_a_warning() {
    let config = "\
Match host cp-1 exec \"true\"
    User from-match
Host *
    User default
";
    let home = Home::new(&[(".ssh/config", config)]);
    assert_eq!(summary(&home, &home.resolve("cp-1")), ["User default (.ssh/config:4)"]);
    assert_eq!(
        home.show(&home.config().warnings),
        ["~/.ssh/config:1:1: Match: Match blocks are not supported: the lines up to the next Host or \
          Match line are ignored"]
    );
}

#[test]
fn options_that_weaken_host_key_checking_are_ignored_with_a_warning() {
    let config = "\
Host lab-*
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    GlobalKnownHostsFile /dev/null
    VerifyHostKeyDNS yes
    UpdateHostKeys yes
    KnownHostsCommand /usr/bin/fetch-keys %H
    NoHostAuthenticationForLocalhost yes
    RevokedHostKeys ~/.ssh/revoked
Host strict
    StrictHostKeyChecking yes
    UserKnownHostsFile ~/.ssh/known
Host *
    StrictHostKeyChecking accept-new
    CheckHostIP no
";
    let home = Home::new(&[(".ssh/config", config)]);
    let lab = home.resolve("lab-1");
    assert_eq!(lab.user_known_hosts_files, None);
    assert_eq!(home.show(&lab.warnings), [
        "~/.ssh/config:3:5: UserKnownHostsFile: ignored: /dev/null would leave host keys unchecked or \
         unrecorded; the inventory's known_hosts is used",
        "~/.ssh/config:2:5: StrictHostKeyChecking: ignored: StrictHostKeyChecking no: host keys are \
         checked as host_key_policy says (strict unless the inventory says accept-new)",
        "~/.ssh/config:4:5: GlobalKnownHostsFile: ignored: GlobalKnownHostsFile /dev/null: host keys are \
         checked as host_key_policy says (strict unless the inventory says accept-new)",
        "~/.ssh/config:5:5: VerifyHostKeyDNS: ignored: VerifyHostKeyDNS yes: keys are trusted from \
         known_hosts only, never from DNS",
        "~/.ssh/config:6:5: UpdateHostKeys: ignored: UpdateHostKeys yes: hardbench never adds keys a host \
         offers after authentication",
        "~/.ssh/config:7:5: KnownHostsCommand: ignored: KnownHostsCommand: keys are trusted from \
         known_hosts only, never from a command",
        "~/.ssh/config:8:5: NoHostAuthenticationForLocalhost: ignored: NoHostAuthenticationForLocalhost \
         yes: host keys are checked as host_key_policy says (strict unless the inventory says \
         accept-new), localhost too",
        "~/.ssh/config:9:5: RevokedHostKeys: ignored: RevokedHostKeys ~/.ssh/revoked is not read: mark \
         revoked keys with @revoked in the known_hosts file",
    ]);
    // The first value obtained is the one judged: `yes` here, so nothing.
    let strict = home.resolve("strict");
    assert_eq!(strict.warnings, []);
    assert_eq!(strict.user_known_hosts_files.unwrap().value, [home.path().join(".ssh/known")]);
    assert_eq!(
        home.show(&home.resolve("other").warnings),
        ["~/.ssh/config:14:5: StrictHostKeyChecking: ignored: StrictHostKeyChecking accept-new: host \
          keys are checked as host_key_policy says (strict unless the inventory says accept-new)"]
    );
}

#[test]
fn errors_name_the_file_and_line() {
    let home = Home::new(&[
        (".ssh/config", "Host a\n  Port 0\n  HostName\n  User \"open\n  Port 22 23\nInclude bad loop\nHost !\n"),
        (".ssh/bad", "Port http\n"),
        (".ssh/loop", "Include loop\n"),
    ]);
    let errors = SshConfig::read(&home.path().join(".ssh/config"), Some(home.path())).unwrap_err();
    let mut shown = home.show(&errors);
    shown.dedup();
    assert_eq!(shown, [
        "~/.ssh/config:2:3: Port: bad port \"0\": expected a number from 1 to 65535",
        "~/.ssh/config:3:3: HostName: no argument after keyword \"HostName\"",
        "~/.ssh/config:4:3: User: invalid quotes",
        "~/.ssh/config:5:3: Port: Port takes one argument; found 2",
        "~/.ssh/bad:1:1: Port: bad port \"http\": expected a number from 1 to 65535",
        "~/.ssh/loop:1:1: Include: Include nested more than 16 levels deep (does a file include itself?)",
        "~/.ssh/config:7:1: Host: empty host pattern",
    ]);
    // Unreadable: the file itself, or an included one at its Include line.
    let missing = home.path().join("none");
    assert_eq!(
        home.show(&SshConfig::read(&missing, Some(home.path())).unwrap_err()),
        ["~/none: cannot read: No such file or directory (os error 2)"]
    );
    home.write(".ssh/config", "Include conf.d\n");
    std::fs::create_dir_all(home.path().join(".ssh/conf.d")).unwrap();
    home.write(".ssh/open", "User x\n");
    assert_eq!(
        home.show(&SshConfig::read(&home.path().join(".ssh/config"), Some(home.path())).unwrap_err()),
        ["~/.ssh/config:1:1: Include: ~/.ssh/conf.d: cannot read: not a regular file"]
    );
    home.write(".ssh/config", "Include open\n");
    std::fs::set_permissions(home.path().join(".ssh/open"), std::fs::Permissions::from_mode(0o664)).unwrap();
    assert_eq!(
        home.show(&SshConfig::read(&home.path().join(".ssh/config"), Some(home.path())).unwrap_err()),
        ["~/.ssh/config:1:1: Include: ~/.ssh/open: bad owner or permissions (owner uid 0, mode 0664): \
          ssh refuses a configuration file that others can write"]
    );
}

/// The same files read by OpenSSH itself: `ssh -G` prints what it would
/// use, without connecting. Tokens are left out (ssh -G prints
/// IdentityFile unexpanded).
#[test]
fn agrees_with_ssh_minus_g() {
    let files = [
        // A comma is no separator on a Host line.
        (".ssh/config", format!(
            "Host cp-3,cp-4\n  User comma\nHOST=quoted\n  HOSTNAME=\"Q.lan\"\n  user 'x y'\n  Port = 2022 # a comment\n\
             {FIRST_WINS}Include conf.d/*\n"
        )),
        (".ssh/conf.d/a", "Host *.lan !bastion.lan\n  IdentityFile ~/.ssh/lan\n  ProxyJump j@b:22,c\nHost *\n  IdentityFile ~/.ssh/all\n".to_string()),
        (".ssh/conf.d/b", "Host worker-*\n  User late\n  UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2\n".to_string()),
    ];
    let home = Home::new(&files.iter().map(|(path, text)| (*path, text.as_str())).collect::<Vec<_>>());
    let config = home.config();
    for host in ["cp-1", "cp-2", "cp-3", "worker-1", "x.lan", "bastion.lan", "CP-1", "quoted"] {
        let output = std::process::Command::new("ssh")
            .args(["-G", "-F"])
            .arg(home.path().join(".ssh/config"))
            .arg(host)
            .env("HOME", home.path())
            .output()
            .expect("ssh runs (openssh-client)");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).unwrap();
        let get = |key: &str| -> Vec<String> {
            text.lines()
                .filter_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
                .map(|value| value.replace("~", &home.path().display().to_string()))
                .collect()
        };
        let local_user = get("user")[0].clone();
        let context = Context { local_user: Some(&local_user), ..home.context() };
        let ours = config.resolve(host, &context).unwrap();
        // ssh expands its default (not from the file) with the passwd
        // entry's home, not HOME: compared by name only.
        let default_known = vec!["(default)".to_string()];
        // ssh expands ~ in values with the passwd entry's home directory
        // (but in Include with HOME): read as ours, which uses HOME.
        let theirs_known: Vec<String> = get("userknownhostsfile")[0]
            .split(' ')
            .map(|file| match file.strip_prefix(&passwd_home()) {
                Some(rest) => format!("{}{rest}", home.path().display()),
                None => file.to_string(),
            })
            .collect();
        let theirs_known = if theirs_known.len() == 2
            && theirs_known[0].ends_with("/.ssh/known_hosts")
            && theirs_known[1].ends_with("/.ssh/known_hosts2")
        {
            default_known.clone()
        } else {
            theirs_known
        };
        assert_eq!(
            (
                ours.host_name.map_or(host.to_lowercase(), |found| found.value),
                ours.user.map_or(local_user.clone(), |found| found.value),
                ours.port.map_or(22, |found| found.value).to_string(),
                ours.identity_files.iter().map(|found| found.value.display().to_string()).collect::<Vec<_>>(),
                ours.proxy_jump.map(|found| found.value),
                ours.user_known_hosts_files.map_or(default_known, |found| {
                    found.value.iter().map(|file| file.display().to_string()).collect()
                }),
            ),
            (
                get("hostname")[0].clone(),
                get("user")[0].clone(),
                get("port")[0].clone(),
                get("identityfile"),
                get("proxyjump").first().cloned(),
                theirs_known,
            ),
            "{host}"
        );
    }
}

/// The current user's home directory as the passwd database says.
fn passwd_home() -> String {
    // SAFETY: getpwuid returns a pointer into static storage or null; it is
    // read at once, and the tests of this module do not call it elsewhere.
    unsafe {
        let entry = libc::getpwuid(libc::getuid());
        assert!(!entry.is_null(), "the current user has a passwd entry");
        std::ffi::CStr::from_ptr((*entry).pw_dir).to_str().unwrap().to_string()
    }
}
