#!/usr/bin/env bash
# README's first command: bring up the bundled lab of fake hosts, audit it
# with hardbench, show the console report, keep the JSON and JUnit reports in
# ./lab-report/, and tear the lab down again (also on failure or Ctrl-C).
#
# What it changes on this machine, and leaves: the packages
# tests/lab/install-deps.sh installs when missing (apt), the users hbaudit and
# etcd (created when missing), the empty mountpoint directories up.sh creates
# when missing, target/release/ (the build) and ./lab-report/.
#
# HARDBENCH_BIN=PATH audits with that binary instead of building one;
# HARDBENCH_LAB_DIR (default /tmp/hardbench-lab) and HARDBENCH_REPORT_DIR
# (default ./lab-report) move the lab's state and the reports.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
lab_dir="${HARDBENCH_LAB_DIR:-/tmp/hardbench-lab}"
out_dir="${HARDBENCH_REPORT_DIR:-$PWD/lab-report}"

bash "$repo/tests/lab/install-deps.sh"
if [ -n "${HARDBENCH_BIN:-}" ]; then
    bin=$HARDBENCH_BIN
    echo "demo: auditing with $bin"
else
    # A first release build takes minutes: say so, and let cargo show its progress.
    echo "demo: building hardbench (release; the first build takes a few minutes)…"
    cargo build --release --manifest-path "$repo/Cargo.toml"
    bin=$repo/target/release/hardbench
fi
trap 'bash "$repo/tests/lab/down.sh" --dir "$lab_dir"' EXIT
echo "demo: bringing up the lab in $lab_dir"
bash "$repo/tests/lab/up.sh" --dir "$lab_dir"
mkdir -p "$out_dir"
# Saved facts are one set per run, replaced whole; a facts directory from a
# hardbench that wrote no _index.json is not one, so the demo clears its own.
if [ -d "$out_dir/facts" ] && [ ! -e "$out_dir/facts/_index.json" ]; then
    rm -rf -- "$out_dir/facts"
fi
status=0
"$bin" run \
    --inventory "$lab_dir/inventory.toml" \
    --json "$out_dir/report.json" \
    --junit "$out_dir/report.xml" \
    --save-facts "$out_dir/facts" || status=$?
echo
echo "Reports: $out_dir/report.json, $out_dir/report.xml; saved facts: $out_dir/facts/"
echo "Expected verdicts, and why: tests/lab/README.md"
# A local user on cp-good and worker-good planted a program named
# kube-apiserver that leaves this file if it is ever run: it never may be.
if [ -e "$lab_dir/planted-ran" ]; then
    echo "demo: the program a local user planted was run: $(cat "$lab_dir/planted-ran")" >&2
    exit 1
fi
echo "The program a local user planted as kube-apiserver was never run."
# The lab holds non-compliant hosts on purpose, so 1 is the expected status;
# anything else (a host that could not be audited, bad input) is a failure.
if [ "$status" -eq 1 ]; then
    echo "hardbench exited with status 1: non-compliant hosts found, as the lab intends."
    exit 0
fi
echo "hardbench exited with status $status; the lab expects 1." >&2
exit 1
