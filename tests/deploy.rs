//! deploy/: the Kubernetes manifests and the systemd units, checked as far
//! as a machine without a cluster can. The manifests are validated against
//! the Kubernetes API's own JSON schemas (kubernetes-validate, from PyPI,
//! offline, strict: unknown fields are errors), then read here (with
//! hardbench's own YAML decoder, which reads YAML as Kubernetes does: 0400
//! is 256) for what the schemas cannot see: that the Job is Indexed with one
//! pod per shard, that the index reaches `--shard`, that every command line
//! is one `hardbench` accepts (parsed by its own clap definitions), and that
//! the names (Secret, ConfigMap, volume claim, volumes, paths) agree. The
//! units are checked by `systemd-analyze verify` (no warning allowed) and
//! their command line by the same parser.

use clap::Parser;
use hardbench::cli::{Cli, Command};
use hardbench::shard::Shard;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

fn deploy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every manifest of deploy/kubernetes, decoded, by file name.
fn manifests() -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(deploy().join("kubernetes")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let value = hardbench::kube::yaml::to_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            all.insert(path.file_name().unwrap().to_string_lossy().into_owned(), value);
        }
    }
    all
}

/// `hardbench` as the command line `args` (without the program name) asks.
fn parse(args: &[String]) -> Command {
    let argv = std::iter::once("hardbench".to_string()).chain(args.iter().cloned());
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}")).command
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap_or_else(|| panic!("not a list: {value}")).iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Each container's (and init container's) mounts name a volume of the pod,
/// and every mount path is returned by volume name.
fn mounts(pod: &Value) -> BTreeMap<String, String> {
    let volumes: Vec<&str> = pod["volumes"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    let mut paths = BTreeMap::new();
    let containers = pod["containers"].as_array().unwrap().iter().chain(pod["initContainers"].as_array().into_iter().flatten());
    for container in containers {
        for mount in container["volumeMounts"].as_array().unwrap() {
            let name = mount["name"].as_str().unwrap();
            assert!(volumes.contains(&name), "{}: mounts {name}, which is no volume of the pod", container["name"]);
            paths.insert(name.to_string(), mount["mountPath"].as_str().unwrap().to_string());
        }
    }
    paths
}

/// Where tests/lab/install-deps.sh installs kubernetes-validate, for
/// Debian's python3.
const PYTHON_DIR: &str = "/opt/hardbench-tests/python";

/// `python3 -m kubernetes_validate`, as installed for the tests.
fn kubernetes_validate() -> Process {
    let mut command = Process::new("/usr/bin/python3");
    command.env("PYTHONPATH", PYTHON_DIR).args(["-m", "kubernetes_validate"]);
    command
}

#[test]
fn the_kubernetes_manifests_pass_the_api_schemas_strictly() {
    let mut files: Vec<String> = manifests().into_keys().collect();
    assert!(files.len() >= 5, "{files:?}");
    files.iter_mut().for_each(|f| *f = deploy().join("kubernetes").join(&*f).display().to_string());
    // Installed by tests/lab/install-deps.sh; a missing validator fails the test.
    let output = kubernetes_validate()
        .args(["--strict", "--kubernetes-version", "1.29.0"])
        .args(&files)
        .output()
        .expect("python3 runs");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "kubernetes-validate: {said}");
    assert_eq!(said.matches(" passed for resource ").count(), files.len(), "{said}");

    // And it does refuse what the API would (so that the pass above means something).
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(deploy().join("kubernetes/shards-job.yaml")).unwrap();
    std::fs::write(&bad, text.replace("completionMode: Indexed", "completionMode: Indexed\n  shards: 3")).unwrap();
    let output = kubernetes_validate().arg("--strict").arg(&bad).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("'shards' was unexpected"), "{output:?}");
}

#[test]
fn the_indexed_job_passes_each_pod_its_shard_and_the_merge_reads_every_shard() {
    let all = manifests();
    let kinds: BTreeMap<&str, (&str, &str)> = all
        .iter()
        .map(|(file, m)| (file.as_str(), (m["apiVersion"].as_str().unwrap(), m["kind"].as_str().unwrap())))
        .collect();
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("inventory-configmap.yaml", ("v1", "ConfigMap")),
            ("merge-job.yaml", ("batch/v1", "Job")),
            ("namespace.yaml", ("v1", "Namespace")),
            ("reports-pvc.yaml", ("v1", "PersistentVolumeClaim")),
            ("shards-job.yaml", ("batch/v1", "Job")),
        ])
    );
    let namespace = all["namespace.yaml"]["metadata"]["name"].as_str().unwrap();
    for (file, manifest) in all.iter().filter(|(file, _)| *file != "namespace.yaml") {
        assert_eq!(manifest["metadata"]["namespace"], namespace, "{file}");
    }
    let configmap = &all["inventory-configmap.yaml"];
    let claim = all["reports-pvc.yaml"]["metadata"]["name"].as_str().unwrap();
    assert_eq!(all["reports-pvc.yaml"]["spec"]["accessModes"], serde_json::json!(["ReadWriteMany"]), "shards write at once");

    // The shards: one pod per index, all at once.
    let job = &all["shards-job.yaml"]["spec"];
    assert_eq!(job["completionMode"], "Indexed");
    let count = job["completions"].as_u64().unwrap() as u32;
    assert!(count >= 2, "{count}");
    assert_eq!(job["parallelism"], job["completions"], "one pod per shard, all at once");
    let pod = &job["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let paths = mounts(pod);
    let volumes: BTreeMap<&str, &Value> = pod["volumes"].as_array().unwrap().iter().map(|v| (v["name"].as_str().unwrap(), v)).collect();
    let secret = &volumes["ssh"]["secret"];
    assert_eq!(secret["secretName"], "hardbench-ssh");
    assert_eq!(secret["defaultMode"], 0o400, "the key is mounted 0400");
    assert_eq!(volumes["inventory"]["configMap"]["name"], configmap["metadata"]["name"]);
    assert_eq!(volumes["reports"]["persistentVolumeClaim"]["claimName"], claim);
    let [container] = pod["containers"].as_array().unwrap().as_slice() else { panic!("one container") };
    let env = container["env"].as_array().unwrap().iter().find(|e| e["name"] == "JOB_COMPLETION_INDEX").expect("the index");
    assert_eq!(env["valueFrom"]["fieldRef"]["fieldPath"], "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    // The shell only maps the status; its arguments are hardbench's own.
    let command = strings(&container["command"]);
    assert_eq!(command[..2], ["/bin/sh", "-c"]);
    assert!(command[2].contains("hardbench \"$@\"") && command[2].contains("0|1|3) exit 0"), "{}", command[2]);
    let args = strings(&container["args"]);
    assert!(args.iter().any(|a| a == &format!("$(JOB_COMPLETION_INDEX)/{count}")), "{args:?}");
    let mut json_paths = Vec::new();
    let mut facts_paths = Vec::new();
    for index in 0..count {
        // Kubernetes expands $(JOB_COMPLETION_INDEX) from the container's env.
        let expanded: Vec<String> = args.iter().map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())).collect();
        let Command::Run(run) = parse(&expanded) else { panic!("{expanded:?} is not a run") };
        assert_eq!(run.shard.shard, Some(Shard { index, count }));
        let inventory = run.inventory.strip_prefix(&paths["inventory"]).expect("the inventory is the ConfigMap's");
        assert!(configmap["data"][inventory.to_str().unwrap()].is_string(), "{} in the ConfigMap", inventory.display());
        let json = run.output.json.expect("a JSON report per shard");
        assert!(json.starts_with(&paths["reports"]), "{}", json.display());
        let facts = run.save_facts.expect("saved facts per shard");
        assert!(facts.starts_with(&paths["reports"]), "{}", facts.display());
        json_paths.push(json);
        facts_paths.push(facts);
    }
    // The ConfigMap's inventory uses the key and known_hosts where the Secret is mounted.
    let inventory: toml::Value = toml::from_str(configmap["data"]["inventory.toml"].as_str().unwrap()).unwrap();
    for key in ["identity_file", "known_hosts"] {
        let path = Path::new(inventory["defaults"][key].as_str().unwrap());
        assert_eq!(path.parent().unwrap(), Path::new(&paths["ssh"]), "{key}");
    }

    // The merge: every shard's facts, then every shard's report.
    let pod = &all["merge-job.yaml"]["spec"]["template"]["spec"];
    assert_eq!(all["merge-job.yaml"]["spec"]["backoffLimit"], 0);
    let merge_paths = mounts(pod);
    assert_eq!(merge_paths["reports"], paths["reports"]);
    let [init] = pod["initContainers"].as_array().unwrap().as_slice() else { panic!("one init container") };
    let Command::Merge(facts) = parse(&[strings(&init["command"])[1..].to_vec(), strings(&init["args"])].concat()) else {
        panic!("the init container merges")
    };
    assert_eq!(facts.facts, facts_paths);
    assert!(facts.save_facts.unwrap().starts_with(&paths["reports"]));
    let [merge] = pod["containers"].as_array().unwrap().as_slice() else { panic!("one container") };
    assert_eq!(strings(&merge["command"]), ["hardbench"]);
    let Command::Merge(reports) = parse(&strings(&merge["args"])) else { panic!("the container merges") };
    assert_eq!(reports.reports, json_paths);
    for output in [reports.output.json, reports.output.junit, reports.output.html, reports.output.metrics] {
        assert!(output.expect("every report").starts_with(&paths["reports"]));
    }
    let volumes = pod["volumes"].as_array().unwrap();
    assert!(volumes.iter().all(|v| v["persistentVolumeClaim"]["claimName"] == claim));

    // The image runs as the user the pods do.
    let dockerfile = std::fs::read_to_string(deploy().join("kubernetes/Dockerfile")).unwrap();
    let user = &all["shards-job.yaml"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"];
    assert!(dockerfile.contains(&format!("\nUSER {user}:{user}\n")), "{dockerfile}");
    assert!(dockerfile.contains("/usr/local/bin/hardbench"));
}

/// The `Key=value` lines of a unit's `[section]`.
fn unit(text: &str, section: &str) -> Vec<(String, String)> {
    let mut current = String::new();
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if line.starts_with('[') {
            current = line.to_string();
        } else if current == format!("[{section}]") {
            let (key, value) = line.split_once('=').unwrap();
            lines.push((key.to_string(), value.to_string()));
        }
    }
    lines
}

fn value<'a>(lines: &'a [(String, String)], key: &str) -> &'a str {
    &lines.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("{key} is set")).1
}

#[test]
fn the_systemd_units_verify_and_run_a_command_hardbench_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let service_text = std::fs::read_to_string(deploy().join("systemd/hardbench-audit.service")).unwrap();
    let timer_text = std::fs::read_to_string(deploy().join("systemd/hardbench-audit.timer")).unwrap();
    let service = unit(&service_text, "Service");
    let exec: Vec<String> = value(&service, "ExecStart").split(' ').map(str::to_string).collect();
    assert_eq!(exec[0], "/usr/local/bin/hardbench");

    // verify checks that ExecStart is executable: the binary just built stands in.
    let copy = service_text.replace("/usr/local/bin/hardbench", env!("CARGO_BIN_EXE_hardbench"));
    std::fs::write(dir.path().join("hardbench-audit.service"), copy).unwrap();
    std::fs::write(dir.path().join("hardbench-audit.timer"), &timer_text).unwrap();
    let output = Process::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("hardbench-audit.service"))
        .arg(dir.path().join("hardbench-audit.timer"))
        .output()
        .expect("systemd-analyze runs (package systemd, tests/lab/install-deps.sh)");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    // An unknown key is only a warning to systemd: the empty output is what shows there is none.
    std::fs::write(dir.path().join("hardbench-audit.timer"), timer_text.replace("Persistent=", "Persistant=")).unwrap();
    let output = Process::new("systemd-analyze").arg("verify").arg(dir.path().join("hardbench-audit.timer")).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("Unknown key 'Persistant'"), "{output:?}");

    let Command::Run(run) = parse(&exec[1..]) else { panic!("{exec:?} is not a run") };
    assert!(run.no_progress);
    let writable: Vec<&str> = value(&service, "ReadWritePaths").split(' ').collect();
    let outputs = [run.output.json, run.output.junit, run.output.html, run.output.metrics, run.save_facts];
    for output in outputs {
        let output = output.expect("every report is written");
        assert!(writable.iter().any(|w| output.starts_with(w)), "{} is not writable under ProtectSystem=strict", output.display());
    }
    for (key, expected) in [
        ("User", "hardbench"),
        ("Type", "oneshot"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("SuccessExitStatus", "1"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(value(&service, key), expected, "{key}");
    }
    let timer = unit(&timer_text, "Timer");
    assert_eq!(value(&timer, "Persistent"), "true");
    assert!(value(&timer, "OnCalendar").ends_with("02:00:00"));
    assert!(humantime::parse_duration(value(&timer, "RandomizedDelaySec")).is_ok());
    assert_eq!(value(&unit(&timer_text, "Install"), "WantedBy"), "timers.target");
}
