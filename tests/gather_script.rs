//! Runs the real gathering script (`src/gather.sh`, as embedded in the
//! binary) on this machine and checks the facts it yields after parsing.
//!
//! Each run happens in its own mount and PID namespace (`unshare`, so these
//! tests need root): fixture files are created on a tmpfs mounted over a
//! fresh temporary directory, fake component processes (tests/lab/
//! fake-component.c) are started with real-looking flags, and the script only
//! sees the processes of that namespace. Nothing outside the temporary
//! directory is touched, and every process started is killed by PID; leaving
//! the namespace kills any straggler.

use hardbench::component::Component;
use hardbench::facts::parse::parse;
use hardbench::facts::{
    CertFact, Document, Facts, FileFact, FileKind, FileStat, FingerprintMethod, Listing, VersionFact, VersionSource,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Sets up the fixture tree under $R (already a tmpfs), starts a kubelet, an
/// etcd in a mount namespace of its own (as in a container: its binary is
/// /usr/local/bin/etcd on a tmpfs of root's there), a kube-scheduler with an
/// argv element of almost 128 KiB, and an impostor: a kube-apiserver that
/// user nobody planted in the world-writable $R/tmp and started with
/// insecure flags. Runs the script as asked and records `ls -lR` before and
/// after.
const DRIVER: &str = r#"
set -eu
mount -t tmpfs -o mode=0755 hardbench-fixture "$R"
mkdir -p "$R/bin" "$R/etc/kubernetes/pki" "$R/etc/kubernetes/manifests" \
    "$R/var/lib/kubelet/config.d" "$R/var/lib/etcd" "$R/tmp" "$R/private"
cp "$FAKE" "$R/bin/kubelet"
cp "$FAKE" "$R/bin/kube-scheduler"
cp "$PLANTED" "$R/tmp/kube-apiserver"
chown 65534:65534 "$R/tmp/kube-apiserver"
# The fixture's parent (a private temporary directory) lets nobody reach $R/tmp.
chmod 0755 "${R%/*}"

printf '%s\n' \
    'apiVersion: kubelet.config.k8s.io/v1beta1' \
    'kind: KubeletConfiguration' \
    'authentication:' \
    '  x509:' \
    "    clientCAFile: $R/etc/kubernetes/pki/ca.crt" \
    "staticPodPath: \"$R/etc/kubernetes/manifests\"" \
    'secret: SENTINEL-yaml-plain' \
    'password: "SENTINEL-yaml-quoted"' \
    'token: |' \
    '  SENTINEL-block-1' \
    '  SENTINEL-block-2' \
    'users:' \
    '- password: SENTINEL-list-item' \
    '  name: alice' \
    'readOnlyPort: 0' >"$R/var/lib/kubelet/config.yaml"
printf '%s\n' '{"kind": "KubeletConfiguration", "token": "SENTINEL-json-1", "nested": {"secret": "SENTINEL-json-\"2\""}, "password": 12345}' \
    >"$R/var/lib/kubelet/config.d/10-drop-in.json"
printf 'secret: SENTINEL-not-a-drop-in\n' >"$R/var/lib/kubelet/config.d/notes.txt"
printf 'apiVersion: v1\nkind: Config\nusers:\n- user:\n    token: SENTINEL-kubeconfig\n' \
    >"$R/etc/kubernetes/kubelet.conf"
printf -- '-----BEGIN PRIVATE KEY-----\nSENTINEL-private-key\n-----END PRIVATE KEY-----\n' \
    >"$R/etc/kubernetes/pki/kubelet.key"
cp "$R/etc/kubernetes/pki/kubelet.key" "$R/etc/kubernetes/pki/bundle.pem"
cp "$CA" "$R/etc/kubernetes/pki/ca.crt"
printf 'name: default\ndata-dir: %s\nclient-transport-security:\n  client-cert-auth: true\n' "$R/var/lib/etcd" \
    >"$R/etc/etcd.yaml"
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --client-ca-file=%s\n' \
    "$R/etc/kubernetes/pki/ca.crt" >"$R/etc/kubernetes/manifests/kube-apiserver.yaml"
printf 'x\n' >"$R/etc/kubernetes/manifests/$(printf 'we\nird"quote')"
printf 'y\n' >"$R/etc/kubernetes/manifests/$(printf 'bad\377byte')"
printf '%s\n' \
    "'secret': SENTINEL-single-quoted-key" \
    '"token": SENTINEL-double-quoted-key plain value' \
    'inline: {secret: SENTINEL-flow, name: kept}' \
    'client-key-data: SENTINEL-ckd' \
    'client-certificate-data: >-' \
    '  SENTINEL-folded' \
    '    SENTINEL-folded-more' \
    'password:' \
    '  SENTINEL-next-line' \
    'secret: SENTINEL-multi' \
    '  SENTINEL-continued' \
    'keys:' \
    '  - name: k1' \
    '    secret: SENTINEL-nested' \
    '  - secret: SENTINEL-dash-first' \
    '    name: k2' \
    'kind: secret' \
    '{"secret": {"k": "SENTINEL-object"}, "token": ["SENTINEL-array"], "x": 1}' \
    'after: kept' >"$R/etc/redaction.yaml"
printf '%s\n' \
    'agent-token: SENTINEL-agent-token' \
    'datastore-endpoint: "postgres://u:SENTINEL-dsn@db:5432/k3s"' \
    'etcd-s3-secret-key: SENTINEL-s3' \
    'secrets-encryption: true' \
    'kube-apiserver-arg:' \
    '  - "token-auth-file=/etc/tokens.csv"' \
    'K3S_TOKEN=SENTINEL-env-token' \
    'export RKE2_DATASTORE_ENDPOINT="mysql://u:SENTINEL-env-dsn@tcp(db)/k"' \
    'Environment="K3S_AGENT_TOKEN=SENTINEL-environment" "K3S_NODE_NAME=n1"' \
    'ExecStart=/usr/local/bin/k3s server --token SENTINEL-flag-space --agent-token=SENTINEL-flag-eq --datastore-endpoint=SENTINEL-flag-dsn --token-auth-file=/etc/tokens.csv' \
    >"$R/etc/distribution.conf"
printf 'kube-apiserver-arg+:\n  - service-account-extend-token-expiration=false\ntoken: SENTINEL-dropin-token\n' \
    >"$R/etc/10-token-expiration.yaml"
printf 'SENTINEL-token-file\n' >"$R/etc/node-token"
head -c 300000 /dev/zero | tr '\0' a >"$R/etc/big.yaml"
printf 'secret\n' >"$R/private/hidden"
ln -s ../etc/kubernetes/pki/ca.crt "$R/bin/ca-link"
printf 'z\n' >"$R/bin/suid"

printf 'SENTINEL-impostor-flag\n' >"$R/private/impostor.yaml"
printf 'kind: Config\n' >"$R/etc/kubernetes/scheduler.conf"
chmod 0640 "$R/etc/kubernetes/scheduler.conf"
chmod 0600 "$R/private/impostor.yaml" "$R/var/lib/kubelet/config.yaml" "$R/var/lib/kubelet/config.d/10-drop-in.json" \
    "$R/etc/kubernetes/kubelet.conf" \
    "$R/etc/kubernetes/pki/kubelet.key" "$R/private/hidden"
chmod 0644 "$R/etc/kubernetes/pki/ca.crt" "$R/etc/etcd.yaml"
chmod 4755 "$R/bin/suid"
chmod 1777 "$R/tmp"
chmod 0700 "$R/private" "$R/var/lib/etcd"
chown 987654:987655 "$R/etc/kubernetes/pki/ca.crt"

(cd "$R/var/lib/kubelet" && exec "$R/bin/kubelet" --config=config.yaml \
    --kubeconfig "$R/etc/kubernetes/kubelet.conf" --config-dir="$R/var/lib/kubelet/config.d" \
    --client-ca-file "$R/etc/kubernetes/pki/ca.crt" \
    --tls-private-key-file="$R/etc/kubernetes/pki/kubelet.key" --node-ip 10.0.0.1 --v=2 \
    "--node-labels=$(printf 'a\nSTAT L2V0Yy9zaGFkb3c= missing\n"q')" "--hostname-override=$(printf 'h\377')") &
KUBELET=$!
(cd / && ETCD_DATA_DIR="$R/var/lib/etcd" ETCD_CONFIG_FILE="$R/etc/etcd.yaml" ETCD_NAME=default \
    HIDDEN_SECRET=SENTINEL-environment exec unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 hardbench-etcd /usr/local/bin && cp "$FAKE" /usr/local/bin/etcd &&
     exec /usr/local/bin/etcd --listen-client-urls https://127.0.0.1:2379') &
ETCD=$!
BIG=$(head -c 131000 /dev/zero | tr '\0' g)
(cd / && exec "$R/bin/kube-scheduler" "--feature-gates=$BIG" \
    --authentication-kubeconfig="$R/etc/kubernetes/scheduler.conf") &
SCHEDULER=$!
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$R/tmp/kube-apiserver" \
    --anonymous-auth=true --authorization-mode=AlwaysAllow \
    --encryption-provider-config="$R/private/impostor.yaml") &
IMPOSTOR=$!
tries=0
until [ "$(readlink "/proc/$KUBELET/exe")" = "$R/bin/kubelet" ] &&
    [ "$(readlink "/proc/$ETCD/exe")" = /usr/local/bin/etcd ] &&
    [ "$(readlink "/proc/$SCHEDULER/exe")" = "$R/bin/kube-scheduler" ] &&
    [ "$(readlink "/proc/$IMPOSTOR/exe")" = "$R/tmp/kube-apiserver" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 500 ] || { echo "fake components did not start" >&2; exit 1; }
    sleep 0.01
done

ls -lR --time-style=full-iso "$R" >"$OUT/before"
set +e
$GATHER_AS env PATH="$GATHER_PATH" $GATHER_SHELL -s -- "$@" <"$SCRIPT" >"$OUT/stdout" 2>"$OUT/stderr"
echo "$?" >"$OUT/status"
set -e
ls -lR --time-style=full-iso "$R" >"$OUT/after"
kill "$KUBELET" "$ETCD" "$SCHEDULER" "$IMPOSTOR"
"#;

/// The tools the script uses, for a PATH that can leave one out.
const TOOLS: [&str; 9] = ["sh", "base64", "tr", "stat", "grep", "awk", "head", "readlink", "timeout"];

#[derive(Clone, Copy, PartialEq)]
enum Tools {
    /// This machine's PATH (dash as sh, GNU coreutils).
    Host,
    /// Only busybox applets.
    Busybox,
    /// The host's tools, except `stat`.
    HostWithoutStat,
}

struct Run {
    root: String,
    stdout: Vec<u8>,
    stderr: String,
    status: String,
    /// Whether the planted program was run (it leaves a marker then).
    planted_ran: bool,
    before: String,
    after: String,
    _dir: tempfile::TempDir,
}

impl Run {
    fn facts(&self) -> Facts {
        parse(&self.stdout).unwrap_or_else(|e| {
            panic!("{e}\nstream:\n{}\nstderr:\n{}", String::from_utf8_lossy(&self.stdout), self.stderr)
        })
    }

    fn path(&self, relative: &str) -> String {
        format!("{}/{relative}", self.root)
    }

    #[track_caller]
    fn stat(&self, facts: &Facts, relative: &str) -> FileStat {
        match facts.files.get(&self.path(relative)) {
            Some(FileFact::Present(stat)) => stat.clone(),
            other => panic!("{relative}: {other:?}"),
        }
    }
}

/// This process's cgroup as the script reads it: the unified hierarchy's,
/// else systemd's.
fn own_cgroup() -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let unified = text.lines().find_map(|l| l.strip_prefix("0::")).filter(|p| !p.is_empty());
    let systemd = || text.lines().find_map(|l| l.split_once(":name=systemd:").map(|(_, path)| path));
    unified.or_else(systemd).expect("a cgroup").to_string()
}

fn require_root_and(tool: &str) {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(euid, 0, "these tests need root (unshare, mount, chown)");
    let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
    assert!(found.status.success(), "these tests need `{tool}` (apt-get install -y {tool})");
}

/// The fake component; with a marker, the planted program that leaves it
/// when run for its version.
fn compile_fake(dir: &Path, marker: Option<&Path>) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/fake-component.c");
    let binary = dir.join(if marker.is_some() { "planted" } else { "fake-component" });
    let mut cc = Command::new("cc");
    if let Some(marker) = marker {
        cc.arg(format!("-DVERSION_MARKER=\"{}\"", marker.display()));
    }
    let status = cc.arg("-O").arg("-o").arg(&binary).arg(&source).status().unwrap();
    assert!(status.success(), "cc {source:?} failed");
    binary
}

/// A directory of symlinks to `tools`, found on this machine's PATH.
fn tool_dir(dir: &Path, tools: &[&str]) -> PathBuf {
    let bin = dir.join("tools");
    std::fs::create_dir(&bin).unwrap();
    for tool in tools {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
        assert!(found.status.success(), "{tool} not found");
        let target = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(target.trim_end(), bin.join(tool)).unwrap();
    }
    bin
}

fn busybox_dir(dir: &Path) -> PathBuf {
    let bin = dir.join("busybox");
    std::fs::create_dir(&bin).unwrap();
    let status = Command::new("busybox").arg("--install").arg("-s").arg(&bin).status().unwrap();
    assert!(status.success());
    bin
}

/// `dash` as `/usr/bin/dash`: the script runs with a PATH that may lack it.
fn absolute_shell(shell: &str) -> String {
    let (program, rest) = shell.split_once(' ').unwrap_or((shell, ""));
    let found = Command::new("sh").args(["-c", &format!("command -v {program}")]).output().unwrap();
    assert!(found.status.success(), "{program} not found");
    format!("{} {rest}", String::from_utf8(found.stdout).unwrap().trim_end())
}

/// What kubeadm's platform asks the script to look for, without its paths.
fn looking_for() -> Vec<String> {
    let kubeadm = hardbench::platform::get("kubeadm").unwrap();
    hardbench::facts::plan::for_platform(kubeadm).args().into_iter().filter(|a| !a.starts_with("s:")).collect()
}

/// The plan arguments every run passes: what kubeadm's platform asks the
/// script to look for (processes, their flag files, etcd's environment,
/// versions), then paths relative to the fixture root.
fn args(root: &str) -> Vec<String> {
    looking_for().into_iter().chain([
        format!("s:{root}/bin/suid"),
        format!("s:{root}/tmp"),
        format!("s:{root}/bin/ca-link"),
        format!("s:{root}/nope"),
        format!("s:{root}/private/hidden"),
        format!("t:{root}/etc/kubernetes/manifests"),
        format!("t:{root}/not-there"),
        format!("r:{root}/etc/kubernetes/manifests"),
        format!("r:{root}/etc/kubernetes/pki/bundle.pem"),
        format!("r:{root}/private/hidden"),
        format!("r:{root}/missing.yaml"),
        format!("r:{root}/etc/redaction.yaml"),
        format!("r:{root}/etc/distribution.conf"),
        format!("r:{root}/etc/10-token-expiration.yaml"),
        format!("r:{root}/etc/node-token"),
        format!("r:{root}/etc/big.yaml"),
    ])
    .collect()
}

fn run(shell: &str, tools: Tools, as_nobody: bool) -> Run {
    require_root_and("unshare");
    if shell.starts_with("busybox") || tools == Tools::Busybox {
        require_root_and("busybox");
    }
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path().join("root");
    let out = dir.path().join("out");
    std::fs::create_dir(&root_dir).unwrap();
    std::fs::create_dir(&out).unwrap();
    let script = dir.path().join("gather.sh");
    std::fs::write(&script, hardbench::GATHER_SCRIPT).unwrap();
    let fake = compile_fake(dir.path(), None);
    let marker = out.join("planted-ran");
    let planted = compile_fake(dir.path(), Some(&marker));
    let shell = absolute_shell(shell);
    let gather_path = match tools {
        Tools::Host => std::env::var("PATH").unwrap(),
        Tools::Busybox => busybox_dir(dir.path()).display().to_string(),
        Tools::HostWithoutStat => {
            let tools: Vec<&str> = TOOLS.into_iter().filter(|t| *t != "stat").collect();
            tool_dir(dir.path(), &tools).display().to_string()
        }
    };
    let root = root_dir.display().to_string();
    let gather_as = if as_nobody { "setpriv --reuid=65534 --regid=65534 --clear-groups" } else { "" };
    let status = Command::new("unshare")
        .args(["--mount", "--pid", "--fork", "--mount-proc", "sh", "-c", DRIVER, "driver"])
        .args(args(&root))
        .env("R", &root)
        .env("OUT", &out)
        .env("FAKE", &fake)
        .env("PLANTED", &planted)
        .env("CA", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-ca.crt"))
        .env("SCRIPT", &script)
        .env("GATHER_SHELL", shell)
        .env("GATHER_PATH", gather_path)
        .env("GATHER_AS", gather_as)
        .status()
        .unwrap();
    assert!(status.success(), "the lab driver failed: {status}");
    let read = |name: &str| std::fs::read(out.join(name)).unwrap();
    let text = |name: &str| String::from_utf8_lossy(&read(name)).into_owned();
    Run {
        stdout: read("stdout"),
        stderr: text("stderr"),
        status: text("status").trim().to_string(),
        planted_ran: marker.exists(),
        before: text("before"),
        after: text("after"),
        root,
        _dir: dir,
    }
}

/// What every complete run as root must show, whatever the shell and tools.
fn check_root_run(run: &Run) {
    assert_eq!(run.status, "0", "stderr: {}", run.stderr);
    assert_eq!(run.stderr, "", "the script wrote to stderr");
    assert_eq!(run.before, run.after, "the fixture tree changed");
    let facts = run.facts();
    let r = |relative: &str| run.path(relative);

    assert_eq!(facts.identity.effective_user.as_deref(), Some("root"));
    assert!(facts.identity.hostname.is_some());

    let kubelet = facts.process_named(Component::Kubelet.name()).expect("kubelet found");
    assert_eq!(
        kubelet.argv,
        [
            r("bin/kubelet"),
            "--config=config.yaml".into(),
            "--kubeconfig".into(),
            r("etc/kubernetes/kubelet.conf"),
            format!("--config-dir={}", r("var/lib/kubelet/config.d")),
            "--client-ca-file".into(),
            r("etc/kubernetes/pki/ca.crt"),
            format!("--tls-private-key-file={}", r("etc/kubernetes/pki/kubelet.key")),
            "--node-ip".into(),
            "10.0.0.1".into(),
            "--v=2".into(),
            "--node-labels=a\nSTAT L2V0Yy9zaGFkb3c= missing\n\"q".into(),
            "--hostname-override=h\u{fffd}".into(),
        ]
    );
    assert_eq!(kubelet.cwd, Some(r("var/lib/kubelet")));
    assert!(kubelet.env.is_empty());
    let etcd = facts.process_named(Component::Etcd.name()).expect("etcd found");
    let mut env = etcd.env.clone();
    env.sort();
    assert_eq!(
        env,
        [
            ("ETCD_CONFIG_FILE".to_string(), r("etc/etcd.yaml")),
            ("ETCD_DATA_DIR".to_string(), r("var/lib/etcd")),
            ("ETCD_NAME".to_string(), "default".to_string()),
        ]
    );
    assert_eq!(facts.processes.len(), 4, "{:?}", facts.processes);

    // An argv element of almost 128 KiB (more than xargs' buffer) loses
    // nothing: the process is there, whole, and the flag after it was followed.
    let scheduler = facts.process_named(Component::KubeScheduler.name()).expect("the kube-scheduler with a huge argv element");
    assert_eq!(scheduler.argv.len(), 3);
    assert_eq!(scheduler.argv[1].len(), "--feature-gates=".len() + 131000);
    assert_eq!(run.stat(&facts, "etc/kubernetes/scheduler.conf").mode, 0o640);

    // The impostor: recorded with its owner, never judged as kube-apiserver,
    // never followed, never run.
    assert_eq!(facts.process_named(Component::KubeApiserver.name()), None, "an impostor was judged");
    let impostors = facts.impostors();
    assert_eq!(impostors.len(), 1, "{impostors:?}");
    assert_eq!(impostors[0].component, "kube-apiserver");
    assert_eq!((impostors[0].uid, impostors[0].argv0.clone()), (Some(65534), r("tmp/kube-apiserver")));
    assert!(impostors[0].reason.contains("not root"), "{}", impostors[0].reason);
    assert!(!run.planted_ran, "the planted program was run");
    assert!(!facts.documents.contains_key(&r("private/impostor.yaml")), "a file an impostor names was read");
    assert!(!facts.files.contains_key(&r("private/impostor.yaml")), "a file an impostor names was stat'ed");
    assert_eq!(kubelet.owner.as_ref().map(|o| (o.uid, o.euid)), Some((0, 0)));
    // The fixture's processes are in this test's cgroup.
    assert_eq!(kubelet.owner.as_ref().and_then(|o| o.cgroup.as_deref()), Some(own_cgroup().as_str()));

    // Modes, owners and kinds, special bits included.
    let config = run.stat(&facts, "var/lib/kubelet/config.yaml");
    assert_eq!((config.kind, config.mode, config.uid, config.user.as_deref()), (FileKind::File, 0o600, 0, Some("root")));
    assert_eq!(run.stat(&facts, "bin/suid").mode, 0o4755);
    let tmp = run.stat(&facts, "tmp");
    assert_eq!((tmp.kind, tmp.mode), (FileKind::Directory, 0o1777));
    assert_eq!(run.stat(&facts, "bin/ca-link").kind, FileKind::Symlink);
    assert_eq!(facts.files[&r("nope")], FileFact::Missing);
    assert!(!facts.files.contains_key("/etc/shadow"), "an argv element forged a record");
    // Paths named by flags (both forms), by ETCD_* variables and by documents.
    assert_eq!(run.stat(&facts, "etc/kubernetes/kubelet.conf").mode, 0o600);
    assert_eq!(run.stat(&facts, "etc/kubernetes/pki/kubelet.key").mode, 0o600);
    assert_eq!(run.stat(&facts, "var/lib/etcd").mode, 0o700);
    let ca = run.stat(&facts, "etc/kubernetes/pki/ca.crt");
    assert_eq!((ca.uid, ca.gid, ca.user, ca.group), (987654, 987655, None, None));
    assert_eq!(run.stat(&facts, "etc/kubernetes/manifests").kind, FileKind::Directory);
    assert_eq!(run.stat(&facts, "var/lib/kubelet/config.d").kind, FileKind::Directory);

    // Listings survive hostile names; every entry is stat'ed too.
    let weird = r("etc/kubernetes/manifests/we\nird\"quote");
    let bad_byte = r("etc/kubernetes/manifests/bad\u{fffd}byte");
    let manifest = r("etc/kubernetes/manifests/kube-apiserver.yaml");
    let Listing::Entries { entries } = &facts.listings[&r("etc/kubernetes/manifests")] else {
        panic!("{:?}", facts.listings)
    };
    assert_eq!(entries, &[bad_byte.clone(), manifest.clone(), weird.clone()]);
    for entry in entries {
        assert!(matches!(facts.files[entry], FileFact::Present(_)), "{entry:?}");
    }
    assert_eq!(facts.listings[&r("not-there")], Listing::Missing);

    // Documents: read, redacted, or refused.
    let text = |relative: &str| match facts.documents.get(&r(relative)) {
        Some(Document::Text { content, truncated: false }) => content.clone(),
        other => panic!("{relative}: {other:?} in {:#?}", facts.documents),
    };
    let kubelet_config = text("var/lib/kubelet/config.yaml");
    assert!(kubelet_config.contains(&format!("clientCAFile: {}", r("etc/kubernetes/pki/ca.crt"))));
    assert!(kubelet_config.contains("secret: REDACTED\npassword: REDACTED\ntoken: REDACTED\nusers:\n"));
    assert!(kubelet_config.contains("- password: REDACTED\n  name: alice\nreadOnlyPort: 0\n"));
    assert_eq!(
        text("var/lib/kubelet/config.d/10-drop-in.json"),
        "{\"kind\": \"KubeletConfiguration\", \"token\": \"REDACTED\", \"nested\": {\"secret\": \"REDACTED\"}, \"password\": \"REDACTED\"}\n"
    );
    assert!(!facts.documents.contains_key(&r("var/lib/kubelet/config.d/notes.txt")));
    assert!(text("etc/etcd.yaml").contains("client-cert-auth: true"));
    assert!(text("etc/kubernetes/manifests/kube-apiserver.yaml").contains("--client-ca-file="));
    assert_eq!(facts.documents[&weird], Document::Text { content: "x\n".into(), truncated: false });
    assert!(!facts.documents.contains_key(&r("etc/kubernetes/kubelet.conf")), "a kubeconfig was read");
    assert!(!facts.documents.contains_key(&r("etc/kubernetes/pki/kubelet.key")), "a private key was read");
    assert!(
        matches!(&facts.documents[&r("etc/kubernetes/pki/bundle.pem")], Document::Error { reason } if reason.contains("private key"))
    );
    assert_eq!(facts.documents[&r("missing.yaml")], Document::Missing);
    // A YAML document named for tokens is read, its secrets redacted; a
    // file named for a token is not read at all.
    assert_eq!(
        text("etc/10-token-expiration.yaml"),
        "kube-apiserver-arg+:\n  - service-account-extend-token-expiration=false\ntoken: REDACTED\n"
    );
    assert!(
        matches!(&facts.documents[&r("etc/node-token")], Document::Error { reason } if reason.contains("token")),
        "{:?}",
        facts.documents.get(&r("etc/node-token"))
    );
    // k3s and RKE2: config.yaml keys, environment files, unit lines.
    assert_eq!(
        text("etc/distribution.conf"),
        [
            "agent-token: REDACTED",
            "datastore-endpoint: REDACTED",
            "etcd-s3-secret-key: REDACTED",
            "secrets-encryption: true",
            "kube-apiserver-arg:",
            "  - \"token-auth-file=/etc/tokens.csv\"",
            "K3S_TOKEN=REDACTED",
            "export RKE2_DATASTORE_ENDPOINT=\"REDACTED\"",
            "Environment=\"K3S_AGENT_TOKEN=REDACTED\" \"K3S_NODE_NAME=n1\"",
            "ExecStart=/usr/local/bin/k3s server --token REDACTED --agent-token=REDACTED --datastore-endpoint=REDACTED --token-auth-file=/etc/tokens.csv\n",
        ]
        .join("\n")
    );
    assert_eq!(
        text("etc/redaction.yaml"),
        [
            "'secret': REDACTED",
            "\"token\": \"REDACTED\"",
            "inline: {secret: REDACTED, name: kept}",
            "client-key-data: REDACTED",
            "client-certificate-data: REDACTED",
            "password: REDACTED",
            "secret: REDACTED",
            "keys:",
            "  - name: k1",
            "    secret: REDACTED",
            "  - secret: REDACTED",
            "    name: k2",
            "kind: secret",
            "{\"secret\": \"REDACTED\", \"token\": \"REDACTED\", \"x\": 1}",
            "after: kept\n",
        ]
        .join("\n")
    );
    match &facts.documents[&r("etc/big.yaml")] {
        Document::Text { content, truncated: true } => assert_eq!(content.len(), 256 * 1024),
        other => panic!("big.yaml: {other:?}"),
    }

    // The CA file's certificate, fingerprinted by hardbench from its PEM,
    // whatever tools the host has (busybox has no openssl).
    assert_eq!(facts.certificates[&r("etc/kubernetes/pki/ca.crt")], test_ca_fingerprint());

    // Versions: etcd's binary is root's, in directories of root's only (in
    // its own mount namespace), so it is run; the kubelet's lies below the
    // world-writable /tmp, so it is not; the impostor's never.
    assert_eq!(
        facts.versions.get(Component::Etcd.name()),
        Some(&VersionFact::Reported {
            text: "Kubernetes v1.33.4".into(),
            source: Some(VersionSource::Executed { binary: "/usr/local/bin/etcd".into() })
        })
    );
    match facts.versions.get(Component::Kubelet.name()) {
        Some(VersionFact::Error { reason }) => {
            assert_eq!(reason, "not run for its version: the directory /tmp/ is writable by group or others (mode 1777)")
        }
        other => panic!("kubelet version: {other:?}"),
    }
    assert_eq!(facts.versions.get(Component::KubeApiserver.name()), None, "{:?}", facts.versions);

    // No planted secret leaves the host, in any field.
    let json = serde_json::to_string(&facts).unwrap();
    assert!(!json.contains("SENTINEL"), "a secret leaked: {json}");
    assert!(!String::from_utf8_lossy(&run.stdout).contains("SENTINEL"));
}

/// What `openssl x509 -noout -fingerprint -sha256` says of
/// tests/data/test-ca.crt.
fn test_ca_fingerprint() -> CertFact {
    CertFact::Fingerprint {
        method: FingerprintMethod::X509Der,
        sha256: "44:C6:BA:E1:5A:A4:5A:E3:53:C4:FD:55:DA:07:5C:FA:20:70:3B:9D:F9:34:FF:62:FC:54:5F:D5:AC:44:79:5B".into(),
    }
}

#[test]
fn dash_with_host_tools() {
    let run = run("dash", Tools::Host, false);
    check_root_run(&run);
    let facts = run.facts();
    // Root reads a 0600 file in a 0700 directory.
    assert_eq!(facts.documents[&run.path("private/hidden")], Document::Text { content: "secret\n".into(), truncated: false });
    assert_eq!(facts.problems, Vec::<String>::new());
}

#[test]
fn busybox_sh_with_host_tools() {
    check_root_run(&run("busybox sh", Tools::Host, false));
}

#[test]
fn busybox_sh_with_busybox_tools() {
    check_root_run(&run("busybox sh", Tools::Busybox, false));
}

#[test]
fn missing_stat_is_reported_per_fact_and_the_script_goes_on() {
    let run = run("dash", Tools::HostWithoutStat, false);
    assert_eq!(run.status, "0", "stderr: {}", run.stderr);
    let facts = run.facts();
    assert_eq!(facts.problems, ["stat: not found"]);
    let not_found = FileFact::Error { reason: "stat: not found".into() };
    assert_eq!(facts.files[&run.path("bin/suid")], not_found);
    assert_eq!(facts.files[&run.path("etc/kubernetes/kubelet.conf")], not_found);
    // The rest of the gathering still happened.
    assert!(facts.process_named(Component::Kubelet.name()).is_some());
    assert!(matches!(facts.documents[&run.path("var/lib/kubelet/config.yaml")], Document::Text { .. }));
    assert!(matches!(facts.listings[&run.path("etc/kubernetes/manifests")], Listing::Entries { .. }));
    assert!(matches!(&facts.versions[Component::Etcd.name()], VersionFact::Error { reason } if reason.contains("readlink and stat are needed")));
    // The certificate is fingerprinted all the same: by hardbench, from
    // the PEM the script sent.
    assert_eq!(facts.certificates[&run.path("etc/kubernetes/pki/ca.crt")], test_ca_fingerprint());
}

#[test]
fn permission_denied_is_an_error_with_the_hosts_reason() {
    let run = run("dash", Tools::Host, true);
    assert_eq!(run.status, "0", "stderr: {}", run.stderr);
    assert_eq!(run.before, run.after);
    let facts = run.facts();
    assert_eq!(facts.identity.effective_user.as_deref(), Some("nobody"));
    let denied = |fact: Option<&FileFact>| matches!(fact, Some(FileFact::Error { reason }) if reason.contains("Permission denied"));
    assert!(denied(facts.files.get(&run.path("private/hidden"))), "{:?}", facts.files);
    let doc_denied = |relative: &str| {
        matches!(&facts.documents[&run.path(relative)], Document::Error { reason } if reason.contains("Permission denied"))
    };
    assert!(doc_denied("private/hidden"), "{:?}", facts.documents);
    // A 0600 drop-in in the kubelet's --config-dir: found, but unreadable.
    assert!(doc_denied("var/lib/kubelet/config.d/10-drop-in.json"), "{:?}", facts.documents);
    // Another user's process: its cwd is not readable, so the relative
    // --config=config.yaml cannot be resolved, and its environment neither.
    let kubelet = facts.process_named(Component::Kubelet.name()).expect("kubelet found");
    assert_eq!(kubelet.cwd, None);
    assert!(!facts.documents.contains_key(&run.path("var/lib/kubelet/config.yaml")));
    assert!(facts.process_named(Component::Etcd.name()).unwrap().env.is_empty());
    assert!(facts.problems.iter().any(|p| p.contains("environment not read")), "{:?}", facts.problems);
    assert!(matches!(facts.versions[Component::Kubelet.name()], VersionFact::Error { .. }), "{:?}", facts.versions);
}

/// A kube-proxy as kubeadm runs it: in a container whose mount namespace
/// alone holds its `--config` file (a ConfigMap volume: `config.conf` ->
/// `..data/config.conf`, `..data` -> a timestamped directory). Here the
/// container is a nested `unshare --mount` with its own tmpfs over
/// `$R/var/lib/kube-proxy`, so the path is empty outside it.
const PROXY_DRIVER: &str = r#"
set -eu
mount -t tmpfs -o mode=0755 hardbench-fixture "$R"
mkdir -p "$R/bin" "$R/var/lib/kube-proxy"
cp "$FAKE" "$R/bin/kube-proxy"
unshare --mount --propagation private sh -c '
    set -eu
    P=$R/var/lib/kube-proxy
    mount -t tmpfs -o mode=0755 hardbench-container "$P"
    mkdir "$P/..2025_01_01_00_00_00.1" "$P/etc"
    printf "metricsBindAddress: 0.0.0.0\nsecret: SENTINEL-proxy\n" >"$P/..2025_01_01_00_00_00.1/config.conf"
    printf "inside the container\n" >"$P/etc/other.conf"
    printf "token: SENTINEL-named\n" >"$P/etc/plain.conf"
    ln -s ..2025_01_01_00_00_00.1 "$P/..data"
    ln -s ..data/config.conf "$P/config.conf"
    # An absolute link means the container'"'"'s own file, not the host'"'"'s.
    ln -s "$P/etc/other.conf" "$P/absolute.conf"
    ln -s plain.conf "$P/etc/kubeconfig.conf"
    cd "$P"
    exec "$R/bin/kube-proxy" --config "$P/absolute.conf" --config="$P/etc/kubeconfig.conf" \
        --config=missing/../config.conf --config=./config.conf
' &
PROXY=$!
tries=0
until [ "$(readlink "/proc/$PROXY/exe")" = "$R/bin/kube-proxy" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 500 ] || { echo "kube-proxy did not start" >&2; exit 1; }
    sleep 0.01
done
# Outside the container the file does not exist.
[ ! -e "$R/var/lib/kube-proxy/config.conf" ]
set +e
$GATHER_SHELL -s -- "$@" <"$SCRIPT" >"$OUT/stdout" 2>"$OUT/stderr"
echo "$?" >"$OUT/status"
set -e
kill "$PROXY"
"#;

/// Item 19: kube-proxy's --config is read through /proc/PID/root, links
/// resolved inside that root, with the private-key, token and redaction
/// rules of every other document; the facts name the file that way, and
/// the evaluation judges it and says so.
#[test]
fn kube_proxy_config_is_read_through_the_process_root() {
    for (shell, tools) in [("dash", Tools::Host), ("busybox sh", Tools::Busybox)] {
        require_root_and("unshare");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let out = dir.path().join("out");
        std::fs::create_dir(&root).unwrap();
        std::fs::create_dir(&out).unwrap();
        let script = dir.path().join("gather.sh");
        std::fs::write(&script, hardbench::GATHER_SCRIPT).unwrap();
        let fake = compile_fake(dir.path(), None);
        let path = match tools {
            Tools::Busybox => busybox_dir(dir.path()).display().to_string(),
            _ => std::env::var("PATH").unwrap(),
        };
        let status = Command::new("unshare")
            .args(["--mount", "--pid", "--fork", "--mount-proc", "sh", "-c", PROXY_DRIVER, "driver"])
            .args(looking_for())
            .env("R", &root)
            .env("OUT", &out)
            .env("FAKE", &fake)
            .env("SCRIPT", &script)
            .env("GATHER_SHELL", absolute_shell(shell))
            .env("PATH", path)
            .status()
            .unwrap();
        assert!(status.success(), "{shell}: the driver failed: {status}");
        let stdout = std::fs::read(out.join("stdout")).unwrap();
        let stderr = std::fs::read_to_string(out.join("stderr")).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("status")).unwrap().trim(), "0", "{shell}: {stderr}");
        let facts = parse(&stdout).unwrap_or_else(|e| panic!("{shell}: {e}"));
        let proxy = facts.process_named(Component::KubeProxy.name()).expect("kube-proxy found");
        let p = format!("{}/var/lib/kube-proxy", root.display());
        let rooted = |name: &str| format!("/proc/{}/root{p}/{name}", proxy.pid);
        // The last --config counts; `./` is dropped as kube.rs drops it.
        assert_eq!(
            facts.documents.get(&rooted("config.conf")),
            Some(&Document::Text { content: "metricsBindAddress: 0.0.0.0\nsecret: REDACTED\n".into(), truncated: false }),
            "{shell}: {:#?}",
            facts.documents
        );
        assert_eq!(
            facts.documents.get(&rooted("absolute.conf")),
            Some(&Document::Text { content: "inside the container\n".into(), truncated: false }),
            "{shell}"
        );
        assert!(
            matches!(facts.documents.get(&rooted("etc/kubeconfig.conf")), Some(Document::Error { reason }) if reason.contains("token")),
            "{shell}: {:?}",
            facts.documents.get(&rooted("etc/kubeconfig.conf"))
        );
        // As for the kernel, `..` does not climb out of a directory that does not exist.
        assert_eq!(facts.documents.get(&rooted("missing/../config.conf")), Some(&Document::Missing), "{shell}");
        assert!(!facts.documents.contains_key(&format!("{p}/config.conf")), "{shell}: the host path was read");
        assert!(!String::from_utf8_lossy(&stdout).contains("SENTINEL"), "{shell}: a secret left the host");

        let benchmark = hardbench::benchmark::load_builtin("cis-1.12").unwrap();
        let outcome = hardbench::eval::evaluate(&hardbench::kube::HostContext::new(&facts, &benchmark, None), benchmark.check("4.3.1").unwrap());
        assert_eq!(outcome.status, hardbench::outcome::Status::Fail, "{shell}: {outcome:#?}");
        assert_eq!(
            outcome.actual,
            format!(
                "metricsBindAddress: 0.0.0.0 (in {p}/config.conf, read through /proc/{}/root), which kube-proxy reads as 0.0.0.0:10249",
                proxy.pid
            ),
            "{shell}"
        );
    }
}
/// The script alone in a PID namespace (so no other process is scanned and
/// two runs print the same stream), with `args`, stdin closed after it.
fn run_alone(shell: &str, args: &[String]) -> (String, Vec<u8>, String) {
    require_root_and("unshare");
    let output = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .args(absolute_shell(shell).split_whitespace())
        .args(["-s", "--"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(hardbench::GATHER_SCRIPT.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let status = output.status.code().map_or_else(|| format!("{:?}", output.status), |c| c.to_string());
    (status, output.stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// `m:BYTES`: the script never writes past the cap. It stops before the
/// record that would cross it, with status 3 and the line the transport
/// reads as "over the cap"; a stream that fits exactly is complete.
#[test]
fn the_script_stops_at_the_output_cap() {
    for shell in ["dash", "busybox sh"] {
        let plan: Vec<String> = ["s:/etc/passwd", "s:/bin", "t:/etc/apt", "r:/etc/os-release", "s:/nope"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        let (status, full, stderr) = run_alone(shell, &plan);
        assert_eq!((status.as_str(), stderr.as_str()), ("0", ""), "{shell}");
        assert!(full.len() > 1000 && full.ends_with(b"\n") && full.starts_with(b"HARDBENCH-FACTS 2\n"), "{shell}");
        let with_cap = |cap: usize| {
            let mut args = vec![format!("m:{cap}")];
            args.extend(plan.iter().cloned());
            run_alone(shell, &args)
        };
        // Exactly the stream's size: all of it.
        assert_eq!(with_cap(full.len()), ("0".to_string(), full.clone(), String::new()), "{shell}");
        // Anything less: a prefix of whole lines, never past the cap.
        for cap in [full.len() - 1, full.len() / 2, 17] {
            let (status, stdout, stderr) = with_cap(cap);
            assert_eq!(status, "3", "{shell} m:{cap}: {stderr}");
            assert!(stderr.starts_with("hardbench: output cap reached"), "{shell} m:{cap}: {stderr}");
            assert!(stdout.len() <= cap, "{shell} m:{cap}: {} bytes", stdout.len());
            assert!(full.starts_with(&stdout), "{shell} m:{cap}");
            assert!(stdout.is_empty() || stdout.ends_with(b"\n"), "{shell} m:{cap}");
            assert!(cap < full.len() / 2 || stdout.len() > cap - 400, "{shell} m:{cap}: stopped early at {}", stdout.len());
        }
    }
}

/// `w:stdin`: when stdin reaches EOF while the script runs (hardbench hung
/// up), the script and what it started are gone at once, even a child that
/// never writes again; a script that ends first leaves nothing behind.
#[test]
fn the_script_and_its_children_end_when_stdin_closes() {
    require_root_and("setsid");
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("{}", 900_000 + std::process::id() % 90_000);
    // A `stat` that hangs without output, as on a dead mount; no grep, so
    // the script skips the machine's processes and reaches it at once.
    let bin = tool_dir(dir.path(), &["tr", "sleep", "awk", "head", "readlink"]);
    std::fs::write(bin.join("stat"), format!("#!/bin/sh\nexec sleep {marker}\n")).unwrap();
    std::fs::set_permissions(bin.join("stat"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sleepers = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read(e.unwrap().path().join("cmdline")).ok())
            .filter(|c| *c == format!("sleep\0{marker}\0").as_bytes())
            .count()
    };
    // Found here: the script's PATH holds only the tools above.
    let setsid = absolute_shell("setsid");
    // Leading its own process group (as under sshd, or sudo's use_pty), and
    // not (a child of this test's group).
    for (shell, own_group) in [("dash", true), ("busybox sh", true), ("dash", false), ("busybox sh", false)] {
        let mut command = if own_group { Command::new(setsid.trim()) } else { Command::new(absolute_shell(shell).split_whitespace().next().unwrap()) };
        let shell_words: Vec<String> = absolute_shell(shell).split_whitespace().map(String::from).collect();
        let mut child = command
            .args(if own_group { &shell_words[..] } else { &shell_words[1..] })
            .args(["-s", "--", "w:stdin", "s:/etc/passwd"])
            .env("PATH", &bin)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, hardbench::GATHER_SCRIPT.as_bytes()).unwrap();
        // The script waits on the hanging stat, its stdin still open.
        let start = std::time::Instant::now();
        while sleepers() == 0 {
            assert!(start.elapsed() < std::time::Duration::from_secs(10), "{shell}: the stat never ran");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        eprintln!("{shell} (own group: {own_group}): the stat runs after {:?}", start.elapsed());
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(child.try_wait().unwrap(), None, "{shell}: the script ended on its own");
        drop(stdin);
        let hung_up = std::time::Instant::now();
        let status = loop {
            match child.try_wait().unwrap() {
                Some(status) if sleepers() == 0 => break status,
                _ if hung_up.elapsed() > std::time::Duration::from_secs(2) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{shell} (own group: {own_group}): the script or its hanging stat outlived the hang-up by 2s");
                }
                _ => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        };
        assert!(!status.success(), "{shell}: {status}");
    }
    // Without a hang-up the script ends by itself and kills its watcher.
    let mut child = Command::new("setsid")
        .args([absolute_shell("dash").trim(), "-s", "--", "w:stdin", "s:/etc/passwd"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, hardbench::GATHER_SCRIPT.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(output.stdout.ends_with(b"\n") && String::from_utf8_lossy(&output.stdout).contains("\nEND "));
    drop(stdin);
}

/// A plan argument the script cannot use is a PROBLEM of its own, and the
/// rest of the plan is still gathered.
#[test]
fn an_unusable_plan_argument_is_a_problem_and_the_rest_is_gathered() {
    for shell in ["dash", "busybox sh"] {
        let plan = ["p:bad name", "f:-x:--y:r", "z:what", "s:/etc/passwd"].map(String::from);
        let (status, stdout, stderr) = run_alone(shell, &plan);
        assert_eq!((status.as_str(), stderr.as_str()), ("0", ""), "{shell}");
        let facts = parse(&stdout).unwrap_or_else(|e| panic!("{shell}: {e}"));
        assert_eq!(
            facts.problems,
            ["unusable plan argument: bad name", "unusable plan argument: -x:--y:r", "unknown argument: z:what"],
            "{shell}"
        );
        assert!(matches!(facts.files["/etc/passwd"], FileFact::Present(_)), "{shell}");
    }
}
