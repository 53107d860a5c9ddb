//! Embeds every built-in benchmark: each directory `benchmarks/<id>/` with
//! its `*.toml` files, found here at build time, so that adding a benchmark
//! directory needs no change to the Rust code. Writes `$OUT_DIR/builtin.rs`,
//! included by `src/benchmark.rs`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks");
    // A directory: cargo rebuilds when anything below it changes.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut benchmarks: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for entry in std::fs::read_dir(&root).expect("benchmarks/ is readable") {
        let entry = entry.expect("benchmarks/ is readable");
        if !entry.file_type().expect("benchmarks/ is readable").is_dir() {
            continue;
        }
        let id = entry.file_name().into_string().expect("benchmark directory names are UTF-8");
        let mut files = Vec::new();
        for file in std::fs::read_dir(entry.path()).expect("a benchmark directory is readable") {
            let file = file.expect("a benchmark directory is readable");
            let name = file.file_name().into_string().expect("definition file names are UTF-8");
            if name.ends_with(".toml") {
                let path = file.path().to_str().expect("paths are UTF-8").to_string();
                files.push((name, path));
            }
        }
        files.sort();
        benchmarks.push((id, files));
    }
    benchmarks.sort_by_key(|(id, _)| natural(id));

    let mut out = String::from("/// Every built-in benchmark: its id and its definition files (name, text), in file-name order.\n");
    out.push_str("static BUILTIN: &[(&str, &[(&str, &str)])] = &[\n");
    for (id, files) in &benchmarks {
        writeln!(out, "    ({id:?}, &[").unwrap();
        for (name, path) in files {
            writeln!(out, "        ({name:?}, include_str!({path:?})),").unwrap();
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// A sort key that orders the numbers inside names by value: cis-1.9
/// before cis-1.10.
fn natural(id: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut chars = id.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut number = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                number.push(d);
                chars.next();
            }
            key.push((std::mem::take(&mut text), number.parse().unwrap_or(u64::MAX)));
        } else {
            text.push(c);
            chars.next();
        }
    }
    key.push((text, 0));
    key
}
