#!/usr/bin/env bash
# The HTML report of a fleet: its size, what writing it adds to `hardbench
# evaluate`, and how long headless chromium takes to load it, against
# baselines in the same run. No lab. See bench/README.md.
#
#   bash bench/html.sh [--hosts N] [--rounds R]
#
# A saved set of N hosts (default 200) is built from the committed kubeadm
# fixtures, a quarter each of cp-good, cp-bad, worker-good and worker-bad
# (tests/fixtures/kubeadm/), each copy with its own host name, and the
# _index.json `run --save-facts` writes. Each round (default 5), in an order
# that alternates:
#   - `hardbench evaluate --json` and `hardbench evaluate --json --html` of the
#     set (wall time; the difference is what the HTML report costs to write);
#   - headless chromium (the flags of tests/common/browser.rs, a fresh
#     profile each time) loading and taking a screenshot of, in turn, a
#     trivial HTML page (chromium's own start and first paint), the JSON
#     report, and the HTML report; the HTML page's load time is its time
#     less the trivial page's.
# Medians are printed, with the sizes and the PDF chromium prints of the
# HTML report (pages, size). The binary is $HARDBENCH_BIN, else the release
# build (built when stale).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lab.sh
source "$repo/bench/lab.sh"
hosts=200
rounds=5

while (($#)); do
    case $1 in
    --hosts) hosts=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) printf 'html.sh: unknown argument %s\n' "$1" >&2; usage ;;
    esac
done
for v in hosts rounds; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer, got '${!v}'"
done
command -v python3 >/dev/null || die "python3 is needed to build the saved set"
command -v chromium >/dev/null || die "chromium is needed; tests/lab/install-deps.sh installs it"
bench_binary

# No lab: bench_cleanup only removes the scratch directory.
work=$(mktemp -d /tmp/hardbench-html.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

printf 'html.sh: building %d hosts in %s\n' "$hosts" "$work" >&2
python3 - "$repo/tests/fixtures/kubeadm" "$work/facts" "$hosts" <<'PY'
import hashlib, json, pathlib, re, sys
fixtures, out, count = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
kinds = ["cp-good", "cp-bad", "worker-good", "worker-bad"]
texts = {kind: (fixtures / f"{kind}.json").read_text() for kind in kinds}
out.mkdir()
hosts = []
for i in range(1, count + 1):
    kind = kinds[(i - 1) % len(kinds)]
    name = f"{kind}-{i}"
    copy = re.sub(r'"host": "[^"]*"', f'"host": "{name}"', texts[kind], count=1)
    (out / f"{name}.json").write_text(copy)
    s = json.loads(copy)
    r = {k: s[k] for k in ["host", "address", "port", "user", "sudo", "roles"]}
    r.update(status="ok", file=f"{name}.json", sha256=hashlib.sha256(copy.encode()).hexdigest())
    hosts.append(r)
now = "2026-01-01T00:00:00+00:00"
index = {"schema": "hardbench.facts-index/v1", "run_id": "0" * 32, "hardbench_version": "bench",
         "started_at": now, "finished_at": now, "hosts": hosts}
(out / "_index.json").write_text(json.dumps(index))
PY
printf '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>trivial</title></head><body><p>trivial</p></body></html>\n' \
    >"$work/trivial.html"

# seconds CMD...: runs CMD, prints its wall time (the shell's microsecond clock).
seconds() {
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    # evaluate: 0 compliant, 1 findings; anything else failed.
    ((rc <= 1)) || die "$* exited $rc"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

evaluate_json() { "$hb" evaluate --facts "$work/facts" --benchmark cis-1.12 --json "$work/report.json"; }
evaluate_html() { "$hb" evaluate --facts "$work/facts" --benchmark cis-1.12 --json "$work/report.json" --html "$work/report.html"; }

# chromium_load FILE: headless chromium loads FILE and takes a screenshot (so
# that the page is laid out and painted), in a fresh profile, at most 120 s.
chromium_load() {
    local profile
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
        --user-data-dir="$profile" --window-size=1280,2000 --screenshot="$work/shot.png" "file://$1"
    rm -rf -- "$profile"
}

for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then order=(json html); else order=(html json); fi
    for m in "${order[@]}"; do seconds "evaluate_$m" >>"$work/evaluate.$m"; done
    pages=(trivial.html report.json report.html)
    ((r % 2 == 0)) || pages=(report.html report.json trivial.html)
    for p in "${pages[@]}"; do seconds chromium_load "$work/$p" >>"$work/load.$p"; done
    printf '  round %d: evaluate --json %s s, --json --html %s s; chromium trivial %s s, json %s s, html %s s\n' \
        "$((r + 1))" "$(tail -n 1 "$work/evaluate.json")" "$(tail -n 1 "$work/evaluate.html")" \
        "$(tail -n 1 "$work/load.trivial.html")" "$(tail -n 1 "$work/load.report.json")" \
        "$(tail -n 1 "$work/load.report.html")" >&2
done
grep -q "\"hosts_ok\": $hosts\\b" "$work/report.json" || die "the report does not hold $hosts hosts"

profile=$(mktemp -d "$work/profile.XXXXXX")
pdf_seconds=$(seconds timeout 300 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --no-pdf-header-footer --print-to-pdf="$work/report.pdf" "file://$work/report.html")
pdf_pages=$(grep -a -c '/Type /Page$\|/Type /Page[^s]' "$work/report.pdf" || true)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m() { median <"$work/$1"; }
size() { awk -v b="$(stat -c %s "$work/$1")" 'BEGIN { printf "%.2f MB (%d bytes)", b / 1e6, b }'; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

printf '\nHTML report, %d hosts (a quarter each of cp-good, cp-bad, worker-good, worker-bad), %d rounds, medians\n\n' \
    "$hosts" "$rounds"
printf '| measure | value |\n|---|---|\n'
printf '| report.html size | %s |\n' "$(size report.html)"
printf '| report.json size (same run) | %s |\n' "$(size report.json)"
printf '| evaluate --json | %.3f s |\n' "$(m evaluate.json)"
printf '| evaluate --json --html | %.3f s (the HTML report: +%s s) |\n' "$(m evaluate.html)" \
    "$(diff_s "$(m evaluate.html)" "$(m evaluate.json)")"
printf '| chromium, trivial page (start, load, screenshot) | %.3f s |\n' "$(m load.trivial.html)"
printf '| chromium, report.json | %.3f s (+%s s over the trivial page) |\n' "$(m load.report.json)" \
    "$(diff_s "$(m load.report.json)" "$(m load.trivial.html)")"
printf '| chromium, report.html | %.3f s (+%s s over the trivial page) |\n' "$(m load.report.html)" \
    "$(diff_s "$(m load.report.html)" "$(m load.trivial.html)")"
printf '| print to PDF (chromium, once) | %.3f s, %s pages, %s |\n' "$pdf_seconds" "$pdf_pages" "$(size report.pdf)"
