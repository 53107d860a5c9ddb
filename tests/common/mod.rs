//! Shared test harness: the lab of fake hosts (tests/lab) and the built
//! `hardbench` binary. The lab needs root and unshare; CI runs as root, and a
//! test that cannot bring the lab up fails, it never skips.

#![allow(dead_code)] // each integration test binary uses a different part

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
    /// Brings up the given profiles (none: the default four hosts) in `dir`.
    pub fn up(dir: &Path, profiles: &[&str]) -> Lab {
        Lab::up_on(dir, 10, profiles)
    }

    /// Like `up`, on the addresses 127.0.`net`.x: labs that may be up at the
    /// same time (one per test binary) use different nets.
    pub fn up_on(dir: &Path, net: u8, profiles: &[&str]) -> Lab {
        let lab = Lab { dir: dir.to_path_buf() };
        let output = Command::new("bash")
            .arg(repo().join("tests/lab/up.sh"))
            .arg("--dir")
            .arg(dir)
            .arg("--net")
            .arg(net.to_string())
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
