//! Shared test harness: the lab of fake hosts (tests/lab) and the built
//! `hardbench` binary. The lab needs root and unshare; CI runs as root, and a
//! test that cannot bring the lab up fails, it never skips.

#![allow(dead_code)] // each integration test binary uses a different part

pub mod agent;
pub mod answers;
pub mod browser;
pub mod fault_hosts;
pub mod processes;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running lab; torn down (every process it started, by PID) on drop.
pub struct Lab {
    pub dir: PathBuf,
}

impl Lab {
    /// Brings up the given profiles (none: the default four hosts) in `dir`,
    /// on the default addresses 127.0.10.x.
    pub fn up(dir: &Path, profiles: &[&str]) -> Lab {
        Lab::up_on(dir, 10, profiles)
    }

    /// Brings up the given profiles in `dir` on 127.0.`net`.x: tests that
    /// run at the same time each use their own `net`.
    pub fn up_on(dir: &Path, net: u8, profiles: &[&str]) -> Lab {
        Lab::up_with(dir, net, &[], profiles)
    }

    /// `up_on` with more options for up.sh (e.g. `--script FILE`).
    pub fn up_with(dir: &Path, net: u8, options: &[&str], profiles: &[&str]) -> Lab {
        let lab = Lab { dir: dir.to_path_buf() };
        let output = Command::new("bash")
            .arg(repo().join("tests/lab/up.sh"))
            .arg("--dir")
            .arg(dir)
            .arg("--net")
            .arg(net.to_string())
            .args(options)
            .args(profiles)
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "the lab did not come up:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        lab
    }

    pub fn inventory(&self) -> PathBuf {
        self.dir.join("inventory.toml")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("tests/lab/down.sh"))
            .arg("--dir")
            .arg(&self.dir)
            .status();
    }
}

pub fn hardbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the hardbench binary runs")
}

/// A `hardbench run` that wrote every output it can: the JSON and JUnit
/// reports and the saved facts.
pub struct Audit {
    pub output: Output,
    pub json: PathBuf,
    pub junit: PathBuf,
    pub facts: PathBuf,
}

impl Audit {
    /// Runs `hardbench run --no-progress` on `inventory` with `extra`
    /// arguments, writing report.json, report.xml and facts/ into `out`.
    pub fn run(inventory: &Path, out: &Path, extra: &[&str]) -> Audit {
        std::fs::create_dir_all(out).expect("the output directory is created");
        let (json, junit, facts) = (out.join("report.json"), out.join("report.xml"), out.join("facts"));
        let mut args = vec![
            "run",
            "--no-progress",
            "--inventory", inventory.to_str().unwrap(),
            "--json", json.to_str().unwrap(),
            "--junit", junit.to_str().unwrap(),
            "--save-facts", facts.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let output = hardbench(&args);
        Audit { output, json, junit, facts }
    }

    /// The JSON report.
    pub fn report(&self) -> serde_json::Value {
        read_json(&self.json)
    }

    /// All the run left behind, as one text: the console, stderr, both
    /// reports and every saved fact.
    pub fn everything(&self) -> String {
        let mut all = String::from_utf8_lossy(&self.output.stdout).into_owned();
        all += &String::from_utf8_lossy(&self.output.stderr);
        all += &std::fs::read_to_string(&self.json).unwrap();
        all += &std::fs::read_to_string(&self.junit).unwrap();
        for entry in std::fs::read_dir(&self.facts).unwrap() {
            all += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
        }
        all
    }
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("the report exists")).expect("the report is JSON")
}

pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Asserts that an XML file is well-formed, using Python's parser (python3
/// is on every machine of this kind and in CI).
pub fn assert_well_formed_xml(path: &Path) {
    let output = Command::new("python3")
        .args(["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])"])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{} is not well-formed XML: {}", path.display(), text(&output));
}
