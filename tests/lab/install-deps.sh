#!/usr/bin/env bash
# Installs what the lab needs on this machine (Debian): sshd, iproute2 (the
# jump-host test puts hosts in network namespaces), the real etcd
# (and etcdctl, for checking it by hand), sudo, openssl for the certificates,
# gcc for the fake component binary, busybox (the gathering script is
# tested under busybox sh and busybox tools too), GNU time (bench/fleet.sh
# reads peak RSS from it), strace (bench/host.sh counts the programs an
# audit executes on the host with it), prometheus for promtool
# (tests/metrics.rs checks the --metrics output with `promtool check
# metrics`), Python's cryptography (tests/signing.rs verifies our DSSE
# envelopes with it, independently), chromium (tests/html_report.rs loads
# the HTML report in it, headless), systemd for systemd-analyze and, from
# PyPI, kubernetes-validate (the Kubernetes API's schemas, used offline;
# tests/deploy.rs checks deploy/ with both). Idempotent: `apt-get update` runs only
# when a package is missing, and nothing is printed when all are present.
set -euo pipefail

packages=(openssh-server iproute2 etcd-server etcd-client sudo openssl gcc busybox time strace prometheus
    python3-cryptography python3-pip chromium systemd)
# kubernetes-validate goes into a directory of its own, for Debian's python3
# (which refuses pip installs into itself, PEP 668), whatever python3 comes
# first on PATH; tests/deploy.rs runs it from there.
pydir=/opt/hardbench-tests/python

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    if ((EUID != 0)); then
        echo "install-deps.sh: missing packages (${missing[*]}); run as root" >&2
        exit 1
    fi
    echo "install-deps.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! PYTHONPATH=$pydir /usr/bin/python3 -c 'import kubernetes_validate' 2>/dev/null; then
    echo "install-deps.sh: installing kubernetes-validate (PyPI) in $pydir" >&2
    /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        --upgrade --target "$pydir" kubernetes-validate==1.37.0
fi
